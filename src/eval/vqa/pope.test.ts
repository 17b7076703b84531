/**
 * POPE cases from LLaVA's eval_pope.py (the same rules as POPE's evaluate.py): the yes/no
 * parsing of the first sentence, labels other than "no" counting as yes, answers paired with
 * labels in order within a category, and the confusion-matrix metrics with yes positive.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { DatasetError } from "../../errors.js";
import { linesOf } from "../../../test/support/vqa-files.js";
import { popeSaysYes, scorePope } from "./pope.js";

test("yes/no parsing", () => {
  const cases: Array<[string, boolean, string]> = [
    ["Yes, there is a dog.", true, "no negative word"],
    ["No", false, "'No' is a word"],
    ["No.", false, "the first sentence is 'No'"],
    ["no, there is not.", false, "the comma is removed, so 'no' is a word"],
    ["There is not a dog in the image.", false, "'not' is a word"],
    ["Nope", true, "only the exact words No/no/not count"],
    ["NO", true, "the parsing is case-sensitive"],
    ["Yes. There is no cat.", true, "only the first sentence counts"],
    ["No\nthere is none", true, "words are split on single spaces only: 'No\\nthere' is one word"],
    ["There isn't a dog", true, "\"isn't\" is not 'not'"],
    ["", true, "an empty answer is yes"],
  ];
  for (const [answer, yes, rule] of cases) assert.equal(popeSaysYes(answer), yes, `${JSON.stringify(answer)}: ${rule}`);
});

const questions = linesOf("llava_pope_test.jsonl", [
  { question_id: 1, image: "a.jpg", text: "Is there a dog?", category: "random" },
  { question_id: 2, image: "a.jpg", text: "Is there a cat?", category: "random" },
  { question_id: 3, image: "b.jpg", text: "Is there a car?", category: "random" },
  { question_id: 4, image: "b.jpg", text: "Is there a bus?", category: "random" },
  { question_id: 5, image: "c.jpg", text: "Is there a cup?", category: "popular" },
  { question_id: 6, image: "c.jpg", text: "Is there a fork?", category: "popular" },
]);

test("per-split metrics from answers paired with labels in order", () => {
  const answers = linesOf("answers.jsonl", [
    { question_id: 1, text: "Yes" }, // label yes: TP
    { question_id: 5, text: "No" }, // popular, label yes: FN
    { question_id: 2, text: "Yes, there is." }, // label no: FP
    { question_id: 3, text: "No, there is not." }, // label no: TN
    { question_id: 4, text: "Yes" }, // label "YES" (not "no", so yes): TP
    { question_id: 6, text: "There is no fork." }, // popular, label no: TN
  ]);
  const splits = [
    { category: "random", file: "coco_pope_random.json", labels: ["yes", "no", "no", "YES"] },
    { category: "popular", file: "coco_pope_popular.json", labels: ["yes", "no"] },
  ];
  const r = scorePope(questions, answers, splits);
  const random = r.splits[0];
  assert.deepEqual([random.tp, random.fp, random.tn, random.fn], [2, 1, 1, 0]);
  assert.equal(random.accuracy, 0.75);
  assert.equal(random.precision, 2 / 3);
  assert.equal(random.recall, 1);
  assert.equal(random.f1, (2 * (2 / 3) * 1) / (2 / 3 + 1));
  assert.equal(random.yesRatio, 0.75);
  const popular = r.splits[1];
  assert.deepEqual([popular.tp, popular.fp, popular.tn, popular.fn], [0, 0, 1, 1]);
  // No yes answers: precision divides by zero (the official script raises there).
  assert.ok(Number.isNaN(popular.precision));
  assert.equal(popular.recall, 0);
  assert.equal(popular.yesRatio, 0);
  assert.equal(r.mean.accuracy, (0.75 + 0.5) / 2);
});

test("unequal answer and label counts, or an unknown question, are errors", () => {
  const answers = linesOf("answers.jsonl", [{ question_id: 1, text: "Yes" }]);
  assert.throws(
    () => scorePope(questions, answers, [{ category: "random", file: "coco_pope_random.json", labels: ["yes", "no"] }]),
    (e: unknown) => e instanceof DatasetError && /split "random" has 1 answers here but 2 labels in coco_pope_random\.json/.test(e.message),
  );
  assert.throws(
    () => scorePope(questions, linesOf("answers.jsonl", [{ question_id: 42, text: "Yes" }]), []),
    (e: unknown) => e instanceof DatasetError && e.message === "answers.jsonl:1: question 42 is not in llava_pope_test.jsonl",
  );
});
