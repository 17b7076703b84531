/**
 * ANLS cases from the definition (Biten et al. 2019) as DocVQA's evaluation script computes it:
 * NL = edit distance of the normalised texts / the longer text as written; score 1 - min NL,
 * 0 below 0.5.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { linesOf } from "../../../test/support/vqa-files.js";
import { anls, scoreDocVqa } from "./docvqa.js";
import type { Reference } from "./files/references.js";
import { levenshtein } from "./text/levenshtein.js";

test("edit distance", () => {
  assert.equal(levenshtein("kitten", "sitting"), 3);
  assert.equal(levenshtein("", "abc"), 3);
  assert.equal(levenshtein("flaw", "lawn"), 2);
  assert.equal(levenshtein("same", "same"), 0);
  // Code points: an emoji is one character.
  assert.equal(levenshtein("a😀", "ab"), 1);
});

test("ANLS of one question", () => {
  // Lowercase, strip and collapse whitespace before comparing: an exact match.
  assert.equal(anls("  Room   12 ", ["room 12"]), 1);
  // One deletion over max(len) = 7 -> 1 - 1/7.
  assert.equal(anls("Room 1", ["room 12"]), 1 - 1 / 7);
  // The best reference counts.
  assert.equal(anls("48.2", ["1490", "48.2"]), 1);
  // NL = 7/7 = 1 > 0.5 -> 0.
  assert.equal(anls("tuesday", ["room 12"]), 0);
  // NL exactly 0.5 -> 1 - 0.5 = 0.5 is not below the threshold: kept.
  assert.equal(anls("abcd", ["abef"]), 0.5);
  // NL 3/5 -> 0.4 < 0.5 -> 0.
  assert.equal(anls("abcde", ["abxyz"]), 0);
  // The length is of the texts as written: "a    c" is compared as "a c" (distance 1 to "a b"),
  // but that distance is divided by its written length 6, not 3.
  assert.equal(anls("a    c", ["a b"]), 1 - 1 / 6);
  // Both empty: distance 0.
  assert.equal(anls("", [""]), 1);
});

test("scoring a file: the mean over questions, per group", () => {
  const refs: Reference[] = [
    { id: "q1", answers: ["Room 12"], group: "form", source: "val.json data[0]" },
    { id: "q2", answers: ["tuesday", "Tue"], group: "letter", source: "val.json data[1]" },
  ];
  const answers = linesOf("answers.jsonl", [{ question_id: "q1", text: "room 12" }, { question_id: "q2", text: "monday" }]);
  const r = scoreDocVqa(refs, answers);
  // q2: "monday" vs "tuesday" NL = 4/7 > 0.5 -> 0; vs "tue" NL = 5/6 -> 0.
  assert.deepEqual(r.items.map((i) => i.score), [1, 0]);
  assert.equal(r.anls, 0.5);
  assert.deepEqual(r.perGroup, { form: { accuracy: 1, count: 1 }, letter: { accuracy: 0, count: 1 } });
});
