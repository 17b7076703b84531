/**
 * NLTK 3.2.5 word_tokenize cases: the first four are NLTK's own documented examples (Treebank
 * and word_tokenize docstrings), the others follow one Treebank rule each.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { wordTokenize } from "./word-tokenize.js";

test("NLTK's documented examples", () => {
  assert.deepEqual(wordTokenize("Good muffins cost $3.88\nin New York.  Please buy me\ntwo of them.\nThanks."), [
    "Good", "muffins", "cost", "$", "3.88", "in", "New", "York", ".", "Please", "buy", "me", "two", "of", "them", ".", "Thanks", ".",
  ]);
  assert.deepEqual(wordTokenize("They'll save and invest more."), ["They", "'ll", "save", "and", "invest", "more", "."]);
  assert.deepEqual(wordTokenize("hi, my name can't hello,"), ["hi", ",", "my", "name", "ca", "n't", "hello", ","]);
});

test("one Treebank rule each", () => {
  const cases: Array<[string, string[], string]> = [
    ["a man's dog, and a cat. two birds.", ["a", "man", "'s", "dog", ",", "and", "a", "cat", ".", "two", "birds", "."], "clitic 's; comma; a period ends each sentence"],
    ["a hot-dog (with cheese)", ["a", "hot-dog", "(", "with", "cheese", ")"], "hyphens stay inside words; brackets are split off"],
    ['he said "a cat"', ["he", "said", "``", "a", "cat", "''"], "straight double quotes become `` and ''"],
    ["“a cat” in ‘the’ box", ["“", "a", "cat", "”", "in", "‘", "the", "’", "box"], "NLTK's curly-quote additions"],
    ["I cannot go -- wanna see?", ["I", "can", "not", "go", "--", "wan", "na", "see", "?"], "MacIntyre's contractions; double dash; '?'"],
    ["1,000 cats: 2,5", ["1,000", "cats", ":", "2,5"], "a comma or colon before a digit stays"],
    ["cats... dogs", ["cats", "...", "dogs"], "an ellipsis is one token"],
  ];
  for (const [text, want, rule] of cases) assert.deepEqual(wordTokenize(text), want, rule);
});
