/**
 * VQAv2 accuracy cases from vqaEval.py's rule: for each of the ten annotators left out,
 * min(#other annotators with the answer / 3, 1), averaged. An answer given by k annotators
 * scores 0.3, 0.6, 0.9 and 1 for k = 1, 2, 3 and 4 or more (derivations in each case).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { DatasetError } from "../../errors.js";
import { linesOf } from "../../../test/support/vqa-files.js";
import type { VqaAnnotation } from "./files/vqav2.js";
import { scoreVqaV2, vqaAccuracy } from "./vqav2.js";

/** Ten annotator records, as the released file writes them (answer_id 1..10). */
const humans = (answers: string[]) => answers.map((answer, i) => ({ answer, answer_confidence: "yes", answer_id: i + 1 }));
/** k annotators said `answer`, the others something else each. */
const kOf = (k: number, answer: string) => humans(Array.from({ length: 10 }, (_, i) => (i < k ? answer : `other${i}`)));

test("the leave-one-out accuracy for k matching annotators", () => {
  // k = 1: the subset without that annotator has 0 matches, the 9 others 1 -> 9 * (1/3) / 10.
  assert.equal(vqaAccuracy("cat", kOf(1, "cat")), (9 * (1 / 3)) / 10);
  // k = 2: 2 subsets with 1 match (1/3), 8 with 2 (2/3) -> (2/3 + 16/3) / 10 = 0.6.
  assert.ok(Math.abs(vqaAccuracy("cat", kOf(2, "cat")) - 0.6) < 1e-12);
  // k = 3: 3 subsets with 2 matches (2/3), 7 with 3 (1) -> 0.9.
  assert.ok(Math.abs(vqaAccuracy("cat", kOf(3, "cat")) - 0.9) < 1e-12);
  // k = 4: every subset keeps at least 3 matches.
  assert.equal(vqaAccuracy("cat", kOf(4, "cat")), 1);
  assert.equal(vqaAccuracy("cat", kOf(10, "cat")), 1);
  assert.equal(vqaAccuracy("dog", kOf(10, "cat")), 0);
});

test("human answers get the punctuation rule only when the annotators disagree", () => {
  // Disagreeing: "black/white" becomes "black white" and matches the normalised answer (4 -> 1).
  const mixed = humans([...Array(4).fill("black/white"), ...Array(6).fill("black and white")]);
  assert.equal(vqaAccuracy("black white", mixed), 1);
  // All ten agree: left as written, so the normalised answer does not match.
  assert.equal(vqaAccuracy("black white", humans(Array(10).fill("black/white"))), 0);
  // The number rule is never applied to human answers: "two" stays "two".
  assert.equal(vqaAccuracy("2", humans(Array(10).fill("two"))), 0);
});

test("an annotator is left out by comparing whole records, as Python's dict equality does", () => {
  // Without answer_ids two identical records are both left out together: with 4 identical
  // records of "cat" (and 6 others), leaving one out removes all 4 -> 0 matches for those 4
  // subsets; the other 6 subsets keep 4 -> 1. Mean 0.6 (with distinct ids it would be 1).
  const records = [...Array(4).fill({ answer: "cat" }), ...Array.from({ length: 6 }, (_, i) => ({ answer: `x${i}` }))];
  assert.ok(Math.abs(vqaAccuracy("cat", records) - 0.6) < 1e-12);
});

const annotations: VqaAnnotation[] = [
  { question_id: 1, question_type: "how many", answer_type: "number", answers: kOf(10, "2") },
  { question_id: 2, question_type: "is this", answer_type: "yes/no", answers: kOf(3, "yes") },
  { question_id: 3, question_type: "what color", answer_type: "other", answers: kOf(2, "black and white") },
];

test("scoring an answer file: LLaVA's processing, then vqaEval's; per answer type", () => {
  const answers = linesOf("answers.jsonl", [
    { question_id: 1, text: "Two." },
    { question_id: 2, text: "Yes" },
    { question_id: 3, text: "Black and white" },
    { question_id: 99, text: "not annotated" },
  ]);
  const r = scoreVqaV2(annotations, answers);
  assert.deepEqual(r.items.map((i) => i.answer), ["2", "yes", "black and white"]);
  assert.deepEqual(r.items.map((i) => Number(i.accuracy.toFixed(12))), [1, 0.9, 0.6]);
  assert.ok(Math.abs(r.accuracy - (1 + 0.9 + 0.6) / 3) < 1e-12);
  assert.equal(r.count, 3);
  assert.equal(r.unmatchedAnswers, 1);
  assert.deepEqual(Object.keys(r.perAnswerType), ["number", "yes/no", "other"]);
  assert.equal(r.perAnswerType["yes/no"].count, 1);
});

test("the EvalAI step can be skipped; it matters for \"'s\"", () => {
  const ann: VqaAnnotation[] = [{ question_id: 7, question_type: "whose", answer_type: "other", answers: kOf(10, "man's") }];
  const answers = linesOf("a.jsonl", [{ question_id: 7, text: "man's" }]);
  // EvalAI writes "man 's", which no annotator wrote.
  assert.equal(scoreVqaV2(ann, answers).accuracy, 0);
  assert.equal(scoreVqaV2(ann, answers, { answerProcessor: "none" }).accuracy, 1);
});

test("every annotated question needs an answer unless onlyAnswered", () => {
  const answers = linesOf("answers.jsonl", [{ question_id: 1, text: "2" }]);
  assert.throws(() => scoreVqaV2(annotations, answers), (e: unknown) => e instanceof DatasetError && /2 of the 3 annotated questions have no answer \(first: 2, 3\).*--only-answered/.test(e.message));
  const r = scoreVqaV2(annotations, answers, { onlyAnswered: true });
  assert.equal(r.count, 1);
  assert.equal(r.accuracy, 1);
  assert.throws(() => scoreVqaV2(annotations, linesOf("a.jsonl", [{ question_id: 5, text: "x" }])), /none of the 3 annotated questions has an answer/);
});

test("a question answered twice is an error naming both lines", () => {
  const answers = linesOf("answers.jsonl", [{ question_id: 1, text: "2" }, { question_id: 2, text: "yes" }, { question_id: 1, text: "3" }]);
  assert.throws(() => scoreVqaV2(annotations, answers), (e: unknown) => e instanceof DatasetError && e.message === "answers.jsonl:3: question 1 is answered twice (lines 1 and 3)");
});
