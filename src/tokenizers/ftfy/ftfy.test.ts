import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isBad } from "./badness.js";
import { fixText } from "./fix-text.js";
import { fixEncoding } from "./mojibake.js";

// Expected outputs are ftfy 6.3's, from its documentation and its public test cases
// (tests/test-cases/*.json in the ftfy repository), plus cases for each fixer. One public case
// is left out on purpose: "Ã¥klagarmyndighets" at the very start of a string is fixed only by
// a heuristic change made after 6.3.1, the release pip installs for openai/CLIP.
const FIX_TEXT: [string, string, string][] = [
  // Curly quotes and apostrophes.
  ["curly quotes", "\u201chere\u2019s a test\u201d", "\"here's a test\""],
  ["low and reversed quotes", "\u201aa\u201b \u201eb\u201f \u02bcc", "'a' \"b\" 'c"],
  // Full-width forms and the ideographic space.
  ["full-width letters and space", "\uff2c\uff2f\uff35\uff24\u3000\uff2e\uff2f\uff29\uff33\uff25\uff33", "LOUD NOISES"],
  ["full-width punctuation", "\uff01\uff1a\uff21\uff22\uff23", "!:ABC"],
  ["halfwidth katakana", "\uff35\uff80\uff70\uff9d", "U\u30bf\u30fc\u30f3"],
  // Latin ligatures; æ stays.
  ["ligatures", "\ufb02u\ufb03e\ufb06 \ufb01sh \u0132sselmeer \u00e6ther", "fluffiest fish IJsselmeer \u00e6ther"],
  // NFC: decomposed accents composed.
  ["decomposed accents", "cafe\u0301 nai\u0308ve \u304b\u3099", "caf\u00e9 na\u00efve \u304c"],
  // Control characters, byte-order marks, terminal escapes.
  ["control characters", "a\u0000b\u0007c\u007fd\u000be\tf", "abcde\tf"],
  ["byte-order marks", "\ufeffWhere do you want to go\ufeff today?", "Where do you want to go today?"],
  ["terminal escapes", "\u001b[36;44mI'm blue\u001b[0m", "I'm blue"],
  ["format controls kept", "a\u200db\u200fc", "a\u200db\u200fc"],
  // Line breaks.
  ["line breaks", "one\r\ntwo\rthree\u2028four\u2029five", "one\ntwo\nthree\nfour\nfive"],
  // Surrogates.
  ["lone surrogates", "a\ud83d b\udca9 \ud83d\udca9", "a\ufffd b\ufffd \u{1f4a9}"],
  // HTML entities: decoded, upper-cased ones too, unless the text has a "<".
  ["entities", "Broken text&hellip; it&#x2019;s \ufb02ubberi\ufb01c!", "Broken text\u2026 it's flubberific!"],
  ["upper-case entities", "P&EACUTE;REZ &ntilde; &Ntilde; &NTILDE; &nTILDE;", "P\u00c9REZ \u00f1 \u00d1 \u00d1 &nTILDE;"],
  ["no entity without a semicolon", "this&not that &amp", "this&not that &amp"],
  ["entities in HTML stay", "<b>&amp;</b>", "<b>&amp;</b>"],
  ["HTML on one line keeps later lines' entities", "&amp;\n<p>\n&amp;", "&\n<p>\n&amp;"],
  // Mojibake.
  ["check mark", "\u00e2\u0153\u201d No problems", "\u2714 No problems"],
  ["shrug", "&macr;\\_(\u00e3\u0083\u0084)_/&macr;", "\u00af\\_(\u30c4)_/\u00af"],
  ["accented word", "\u00c3\u00banico", "\u00fanico"],
  ["em dash", "This \u00e2\u20ac\u201d should be an em dash", "This \u2014 should be an em dash"],
  ["curly quotes in windows-1252 mojibake", "\u00e2\u20ac\u0153mismatched quotes\u00e2\u20ac\u00a6\u201d", "\"mismatched quotes\u2026\""],
  ["curly quotes in latin-1 mojibake", "\u00e2\u0080\u009cmismatched quotes\u0085\u0094", "\"mismatched quotes\u2026\""],
  ["lossy windows-1252", "\u00e2\u20ac\u0153lossy decoding\u00e2\u20ac\ufffd", "\"lossy decoding\ufffd"],
  ["A0 turned into a space", "voil\u00c3 le travail", "voil\u00e0 le travail"],
  ["A0 kept", "voil\u00c3\u00a0 le travail", "voil\u00e0 le travail"],
  ["emoji with A0 as space", "The more you know \u00f0\u0178\u0152 ", "The more you know \u{1f320}"],
  ["all caps", "H\u00c3\u201dTEL C\u00c3\u2122IS", "H\u00d4TEL C\u00d9IS"],
  ["Hebrew via windows-1250", "\u00d7\u2018\u00d7\u201d\u00d7\u2022\u00d7\u201c\u00d7\u02d8\u00d7\u201d", "\u05d1\u05d4\u05d5\u05d3\u05e2\u05d4"],
  ["Hebrew via macroman", "\u25ca\u00eb\u25ca\u00ee\u25ca\u00ef\u25ca\u00ec\u25ca\u00a2\u25ca\u00ee", "\u05d1\u05d4\u05d5\u05d3\u05e2\u05d4"],
  ["Hebrew via latin-1", "\u00d7\u0090\u00d7\u0091\u00d7\u0091\u00d7\u0090", "\u05d0\u05d1\u05d1\u05d0"],
  ["Arabic via windows-1252", "\u00d8\u00b1\u00d8\u00b3\u00d8\u00a7\u00d9\u201e\u00d8\u00a9", "\u0631\u0633\u0627\u0644\u0629"],
  ["Arabic via macroman", "\u00ff\u00b1\u00ff\u2265\u00ff\u00df\u0178\u00d1\u00ff\u00a9", "\u0631\u0633\u0627\u0644\u0629"],
  ["never UTF-8: windows-1252 read as latin-1", "This text was never UTF-8 at all\u0085", "This text was never UTF-8 at all\u2026"],
  ["C1 control mojibake", "This text is sad .\u00e2\u0081\u201d.", "This text is sad .\u2054."],
  // Text that only looks odd stays as it is.
  ["Bront\u00eb", "I'm not such a fan of Charlotte Bront\u00eb\u2026\u201d", "I'm not such a fan of Charlotte Bront\u00eb\u2026\""],
  ["Swedish product", "AH\u00c5\u2122, the new sofa from IKEA", "AH\u00c5\u2122, the new sofa from IKEA"],
  ["Ukrainian capitals", "\u0412\u0406\u041a\u0406 is Ukrainian for WIKI", "\u0412\u0406\u041a\u0406 is Ukrainian for WIKI"],
  ["Angstrom", "a radius of 10 \u00c5\u2014", "a radius of 10 \u00c5\u2014"],
  ["Spanish", "!YO S\u00c9\u00a1", "!YO S\u00c9\u00a1"],
  ["Romanian", "NICIODAT\u0102\u00a0", "NICIODAT\u0102\u00a0"],
  ["Norwegian", "H\u00c5\u00d8YA ER BL\u00c5\u00d8YD", "H\u00c5\u00d8YA ER BL\u00c5\u00d8YD"],
  ["kaomoji", "\u014c\u00aco", "\u014c\u00aco"],
  ["Serbian camel case", "\u041f\u043e\u0437\u0434\u0440\u0430\u0432\u0402\u0430\u0432\u043e", "\u041f\u043e\u0437\u0434\u0440\u0430\u0432\u0402\u0430\u0432\u043e"],
  ["U+001A is a control character", "Here's a control character: \u001a", "Here's a control character: "],
  ["plain text", "a photo of a cat", "a photo of a cat"],
  ["accents that are meant", "na\u00efve caf\u00e9 r\u00e9sum\u00e9 Stra\u00dfe \u00fcber \u00c4pfel", "na\u00efve caf\u00e9 r\u00e9sum\u00e9 Stra\u00dfe \u00fcber \u00c4pfel"],
  ["CJK and emoji", "\u6771\u4eac\u30bf\u30ef\u30fc \u{1f431}", "\u6771\u4eac\u30bf\u30ef\u30fc \u{1f431}"],
];

describe("fixText follows ftfy 6.3's fix_text", () => {
  for (const [name, input, expected] of FIX_TEXT) {
    it(name, () => assert.equal(fixText(input), expected));
  }

  it("is idempotent on every case", () => {
    for (const [, , expected] of FIX_TEXT) assert.equal(fixText(expected), expected);
  });
});

describe("fixEncoding", () => {
  it("re-decodes mojibake and leaves the rest", () => {
    assert.equal(fixEncoding("\u00c3\u00b3"), "\u00f3");
    assert.equal(fixEncoding("&ATILDE;&SUP3;"), "&ATILDE;&SUP3;");
    assert.equal(fixEncoding("This text is fine already :\u00fe"), "This text is fine already :\u00fe");
  });

  it("decodes CESU-8 and Java's NUL among the UTF-8 variants", () => {
    // U+1F600 as two CESU-8 surrogate halves, read as Latin-1.
    assert.equal(fixEncoding("\u00ed\u00a0\u00bd\u00ed\u00b8\u0080 smile"), "\u{1f600} smile");
  });
});

describe("isBad", () => {
  it("flags mojibake sequences, not ordinary accents", () => {
    assert.equal(isBad("\u00c3\u00a9"), true);
    assert.equal(isBad("caf\u00e9"), false);
    assert.equal(isBad("\u0080"), true);
  });
});
