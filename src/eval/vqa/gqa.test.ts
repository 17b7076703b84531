/**
 * GQA cases from LLaVA's convert_gqa_for_eval.py (trailing periods stripped, lowercased) and
 * GQA's eval.py (exact match over balanced questions; "query" questions are open).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { linesOf } from "../../../test/support/vqa-files.js";
import type { GqaQuestion } from "./files/gqa.js";
import { gqaPrediction, scoreGqa } from "./gqa.js";

const q = (answer: string, structural: string, semantic: string, isBalanced = true): GqaQuestion => ({ answer, isBalanced, types: { structural, semantic } });

test("predictions as LLaVA's converter writes them", () => {
  assert.equal(gqaPrediction("Yes."), "yes");
  assert.equal(gqaPrediction("The table..."), "the table");
  // Only trailing periods; other punctuation and inner periods stay.
  assert.equal(gqaPrediction("St. Louis!"), "st. louis!");
  assert.equal(gqaPrediction("left. "), "left. ");
});

test("exact match over balanced questions, split by kind and type", () => {
  const questions = {
    "1": q("yes", "verify", "attr"),
    "2": q("table", "query", "obj"),
    "3": q("left", "query", "rel"),
    "4": q("no", "logical", "obj"),
    "5": q("red", "query", "attr", false),
  };
  const answers = linesOf("answers.jsonl", [
    { question_id: "1", text: "Yes." },
    { question_id: "2", text: "the table" },
    { question_id: "3", text: "Left" },
    { question_id: "4", text: "yes" },
  ]);
  const r = scoreGqa(questions, answers);
  assert.deepEqual(r.items.map((i) => i.correct), [true, false, true, false]);
  assert.equal(r.accuracy, 0.5);
  assert.equal(r.count, 4, "the unbalanced question is not scored (and needs no answer)");
  assert.deepEqual(r.binary, { accuracy: 0.5, count: 2 });
  assert.deepEqual(r.open, { accuracy: 0.5, count: 2 });
  assert.deepEqual(r.perSemanticType.obj, { accuracy: 0, count: 2 });
  assert.deepEqual(r.perStructuralType.query, { accuracy: 0.5, count: 2 });
});

test("a balanced question without a prediction is an error, as in eval.py", () => {
  const questions = { a: q("yes", "verify", "attr"), b: q("no", "verify", "attr") };
  assert.throws(() => scoreGqa(questions, linesOf("answers.jsonl", [{ question_id: "a", text: "yes" }])), /1 of the 2 annotated questions have no answer \(first: b\)/);
  assert.equal(scoreGqa(questions, linesOf("answers.jsonl", [{ question_id: "a", text: "yes" }]), { onlyAnswered: true }).accuracy, 1);
});
