import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { htmlUnescape } from "./html-unescape.js";
import { splitWords } from "./pretokenize.js";
import { normalizeText } from "./text-normalize.js";

// Expected values were printed by CPython 3.11 `html.unescape`, by
// `whitespace_clean(basic_clean(t)).lower()` of openai/CLIP without ftfy, and by
// `regex.findall(pat, t)` with the original pattern (regex 2026.5.9). normalizeText now runs
// ftfy first; the cases it changes say what ftfy does to them (see ../ftfy).

describe("htmlUnescape follows Python's html.unescape", () => {
  const cases: [string, string][] = [
    ["&amp;", "&"],
    ["&amp", "&"],
    ["&AMP", "&"],
    ["&ampfoo", "&foo"],
    ["&amp;amp;", "&amp;"],
    ["&notin", "\u00acin"],
    ["&notin;", "\u2209"],
    ["&notit;", "\u00acit;"],
    ["&copy2023", "\u00a92023"],
    ["&lt&gt", "<>"],
    ["&Aacute;", "\u00c1"],
    ["&aacute", "\u00e1"],
    ["&CounterClockwiseContourIntegral;", "\u2233"],
    ["&unknown;", "&unknown;"],
    ["& amp;", "& amp;"],
    ["&#65;&#x41;&#X41", "AAA"],
    ["&#0;", "\ufffd"],
    ["&#13;", "\r"],
    ["&#128;", "\u20ac"],
    ["&#x81;", "\u0081"],
    ["&#x7f;", ""],
    ["&#11;", ""],
    ["&#xFDD0;", ""],
    ["&#x1FFFE;", ""],
    ["&#xD800;", "\ufffd"],
    ["&#x110000;", "\ufffd"],
    ["&#99999999999999999999;", "\ufffd"],
    ["&#x1F600;", "\u{1f600}"],
    ["&#;", "&#;"],
    ["&#x;", "&#x;"],
    ["&", "&"],
    ["a&b", "a&b"],
    ["&" + "a".repeat(40), "&" + "a".repeat(40)],
    ["&nbsp;&NewLine;&Tab;", "\u00a0\n\t"],
  ];
  for (const [input, expected] of cases) {
    it(JSON.stringify(input), () => assert.equal(htmlUnescape(input), expected));
  }
});

describe("normalizeText follows the original cleaning (unescape twice, Python whitespace, lower)", () => {
  const cases: [string, string][] = [
    ["  Hello   World  ", "hello world"],
    ["multiple     spaces\tand\nnewlines", "multiple spaces and newlines"],
    // str.strip() removes U+001C..U+001F, which the regex module's \s would not collapse;
    // ftfy removes them (and U+FEFF, whitespace to JS but not to Python) first anyway.
    ["\u001c a \u001c b \u001c", "a b"],
    ["\ufeff x \ufeff", "x"],
    // ftfy: U+0085 is Windows-1252's ellipsis, U+2028 a line break, U+3000 a wide space.
    ["a\u0085b\u2028c\u3000d\u00a0e", "a\u2026b c d e"],
    ["\u201cCurly\u201d \uff21\uff22\uff23 \ufb01ne caf\u00c3\u00a9", '"curly" abc fine caf\u00e9'],
    ["&amp;amp;", "&"],
    ["&amp;lt;b&amp;gt;", "<b>"],
    [" &nbsp;x&nbsp; ", "x"],
    ["\u039f\u0394\u039f\u03a3 \u0130", "\u03bf\u03b4\u03bf\u03c2 i\u0307"],
    ["", ""],
  ];
  for (const [input, expected] of cases) {
    it(JSON.stringify(input), () => assert.equal(normalizeText(input), expected));
  }
});

describe("splitWords follows the original pattern under the regex module", () => {
  const cases: [string, string[]][] = [
    ["don't", ["don", "'t"]],
    ["we'll they're i'm it'd", ["we", "'ll", "they", "'re", "i", "'m", "it", "'d"]],
    // IGNORECASE: long s folds to s, so it completes the contraction.
    ["x'\u017f", ["x", "'\u017f"]],
    ["2024 \u00b2\u00bd \u0661\u0662", ["2", "0", "2", "4", "\u00b2", "\u00bd", "\u0661", "\u0662"]],
    ["ab12cd", ["ab", "1", "2", "cd"]],
    ["hello, world!!", ["hello", ",", "world", "!!"]],
    ["na\u00efve", ["na\u00efve"]],
    ["\u6771\u4eac\u30bf\u30ef\u30fc", ["\u6771\u4eac\u30bf\u30ef\u30fc"]],
    ["\u{1f431}\u{1f436} cat", ["\u{1f431}\u{1f436}", "cat"]],
    ["a\u0345b", ["a", "b"]],
    ["\ufeffhi", ["\ufeff", "hi"]],
    ["x\u001cy", ["x", "\u001c", "y"]],
    ["x\u0085y", ["x", "y"]],
    ["<|startoftext|>a<|endoftext|>", ["<|startoftext|>", "a", "<|endoftext|>"]],
    ["e-mail: someone@example.com", ["e", "-", "mail", ":", "someone", "@", "example", ".", "com"]],
  ];
  for (const [input, expected] of cases) {
    it(JSON.stringify(input), () => assert.deepEqual(splitWords(input), expected));
  }
});
