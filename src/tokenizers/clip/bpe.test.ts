import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TokenizerError } from "../../errors.js";
import { BytePairEncoder } from "./bpe.js";

// A toy vocabulary whose expected splits were printed by the original `SimpleTokenizer.bpe`
// given the same ranks: every occurrence of the best pair merges in one left-to-right pass.
const merges: [string, string][] = [["a", "a"], ["aa", "a</w>"], ["c", "a</w>"], ["a", "b"], ["ab", "ab"]];
const symbols = ["a", "b", "c", "a</w>", "b</w>", "c</w>", ...merges.map(([x, y]) => x + y)];
const vocab = new Map(symbols.map((symbol, id) => [symbol, id]));
const ids = (...pieces: string[]) => pieces.map((piece) => vocab.get(piece)!);

describe("BytePairEncoder merges like the original", () => {
  const cases: [string, number[]][] = [
    ["a", ids("a</w>")],
    ["aaa", ids("aaa</w>")],
    ["aaaa", ids("aa", "a", "a</w>")],
    ["aaaaa", ids("aa", "aaa</w>")],
    ["ca", ids("ca</w>")],
    ["abab", ids("ab", "a", "b</w>")],
    ["ababab", ids("abab", "a", "b</w>")],
    ["cab", ids("c", "a", "b</w>")],
  ];
  const bpe = new BytePairEncoder(vocab, merges);
  for (const [word, expected] of cases) {
    it(word, () => {
      assert.deepEqual(bpe.encodeWord(word), expected);
      assert.deepEqual(bpe.encodeWord(word), expected, "from the cache");
    });
  }

  it("names a symbol missing from the vocabulary", () => {
    assert.throws(() => bpe.encodeWord("d"), (e) => e instanceof TokenizerError && /"d<\/w>"/.test(e.message));
  });
});
