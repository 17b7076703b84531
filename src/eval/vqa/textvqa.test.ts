/**
 * TextVQA cases from LLaVA's eval_textvqa.py (prompt_processor, the (image_id, question) key)
 * and m4c_evaluator.py (EvalAI processing of both sides, the soft score over ten answers).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { DatasetError } from "../../errors.js";
import { linesOf } from "../../../test/support/vqa-files.js";
import type { TextVqaAnnotation } from "./files/textvqa.js";
import { scoreTextVqa, textVqaAccuracy, textVqaPromptQuestion } from "./textvqa.js";

test("the question is read out of LLaVA's three prompt layouts", () => {
  const short = "Answer the question using a single word or phrase.";
  assert.equal(textVqaPromptQuestion(`What brand is this?\nReference OCR token: Nike, Air\n${short}`), "what brand is this?");
  assert.equal(textVqaPromptQuestion(`Reference OCR token: Nike\nWhat brand is this?\n${short}`), "what brand is this?");
  assert.equal(textVqaPromptQuestion(`What brand is this?\n${short}`), "what brand is this?");
  assert.equal(textVqaPromptQuestion("OCR tokens: Nike Question: What brand is this? Short answer:"), "what brand is this?");
  // One line: taken whole (the official script asserts; this only accepts more).
  assert.equal(textVqaPromptQuestion("What brand is this?"), "what brand is this?");
  assert.equal(textVqaPromptQuestion("a\nb\nc"), null);
  assert.equal(textVqaPromptQuestion("OCR tokens: no question here"), null);
});

test("both sides are EvalAI-processed before the soft score", () => {
  const humans = ["Nike", "nike", "NIKE.", "nike", "adidas", "adidas", "puma", "nike's", "Nike", "the nike"];
  // After processing: nike x6 ("the nike" loses its article), adidas x2, puma, "nike 's" -> 6 >= 4 -> 1.
  assert.equal(textVqaAccuracy("nike", humans), 1);
  // adidas: 2 annotators -> 0.6.
  assert.ok(Math.abs(textVqaAccuracy("adidas", humans) - 0.6) < 1e-12);
  assert.equal(textVqaAccuracy("reebok", humans), 0);
});

const annotations: TextVqaAnnotation[] = [
  { image_id: "img1", question: "What brand is this?", answers: Array(10).fill("nike") },
  { image_id: "img1", question: "What colour?", answers: [...Array(3).fill("red"), ...Array(7).fill("blue")] },
];

test("answers find their annotation by image id and question text", () => {
  const answers = linesOf("answers.jsonl", [
    { question_id: "img1", prompt: "What colour?\nAnswer the question using a single word or phrase.", text: "Red" },
    { question_id: "img1", prompt: "What brand is this?\nReference OCR token: NIKE\nAnswer the question using a single word or phrase.", text: "Nike." },
  ]);
  const r = scoreTextVqa(annotations, answers);
  assert.deepEqual(r.items.map((i) => [i.answer, Number(i.accuracy.toFixed(12))]), [["red", 0.9], ["nike", 1]]);
  assert.ok(Math.abs(r.accuracy - 0.95) < 1e-12);
});

test("an answer without its annotation, or an annotation without ten answers, is an error naming the line", () => {
  const stray = linesOf("answers.jsonl", [{ question_id: "img2", prompt: "What colour?", text: "red" }]);
  assert.throws(() => scoreTextVqa(annotations, stray), (e: unknown) => e instanceof DatasetError && /^answers\.jsonl:1: no annotation has image_id "img2"/.test(e.message));
  const nine: TextVqaAnnotation[] = [{ image_id: 5, question: "q?", answers: Array(9).fill("a") }];
  assert.throws(() => scoreTextVqa(nine, linesOf("a.jsonl", [{ question_id: 5, prompt: "q?", text: "a" }])), /has 9 answers; TextVQA's score needs 10/);
  assert.throws(() => scoreTextVqa(annotations, linesOf("a.jsonl", [{ question_id: "img1", prompt: "a\nb\nc\nd", text: "a" }])), /cannot find the question in the prompt/);
});
