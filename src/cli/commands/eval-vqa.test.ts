/**
 * vlm eval vqa / score / pope / chair as a user runs them: answers from the tiny reference
 * LLaVA (skipped with a note without ../shared/reference), then scored; tables, JSON reports
 * and one-line errors.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { writeTinyLlavaFolder } from "../../../test/support/tiny-llava.js";
import { assertOneLineError, vlm } from "../../../test/support/cli.js";
import { referencePath, skipWithoutReference } from "../../../test/support/reference.js";
import { jsonl, scratchFiles } from "../../../test/support/vqa-files.js";
import { modelIdOf } from "./eval-vqa.js";

const questions = [
  { question_id: 1, image: "shapes_wide.png", text: "Is there a circle in the image?", category: "random" },
  { question_id: 2, image: "photo_board.jpg", text: "Is there a cat in the image?", category: "random" },
  { question_id: 3, image: "shapes_wide.png", text: "Is there a dog in the image?", category: "adversarial" },
];

test("the model id is LLaVA's get_model_name_from_path", () => {
  assert.equal(modelIdOf("llava-hf/llava-1.5-7b-hf"), "llava-1.5-7b-hf");
  assert.equal(modelIdOf("/runs/llava-scene/"), "llava-scene");
  assert.equal(modelIdOf("runs/llava-scene/checkpoint-400"), "llava-scene_checkpoint-400");
});

describe("vlm eval vqa on the tiny reference LLaVA, then vlm eval pope", { skip: skipWithoutReference("llava", "tiny") }, () => {
  let dir: string;
  let model: string;
  before(() => {
    dir = scratchFiles("eval-vqa-cli", {
      "questions.jsonl": jsonl(questions),
      "pope/coco_pope_random.json": jsonl([{ question_id: 1, label: "yes" }, { question_id: 2, label: "no" }]),
      "pope/coco_pope_adversarial.json": jsonl([{ question_id: 3, label: "no" }]),
    });
    model = writeTinyLlavaFolder(join(dir, "tiny-llava"), referencePath("llava", "tiny"));
  });

  test("answers every question, reports questions/s, and refuses to overwrite unasked", () => {
    const args = ["eval", "vqa", "--questions", join(dir, "questions.jsonl"), "--image-folder", referencePath("llava", "tiny", "images"), "--out", join(dir, "answers", "a.jsonl"), "--model", model];
    const r = vlm([...args, "--batch-size", "2", "--max-new-tokens", "4", "--json", join(dir, "run.json")]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^3 questions answered in [\d.]+ s, [\d.]+ questions\/s -> .*a\.jsonl\n$/);
    const lines = readFileSync(join(dir, "answers", "a.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { question_id: number; model_id: string });
    assert.deepEqual(lines.map((l) => [l.question_id, l.model_id]), [[1, "tiny-llava"], [2, "tiny-llava"], [3, "tiny-llava"]]);
    const run = JSON.parse(readFileSync(join(dir, "run.json"), "utf8")) as { questions: number; answered: number; questionsPerSecond: number };
    assert.deepEqual([run.questions, run.answered], [3, 3]);
    assert.ok(run.questionsPerSecond > 0);
    assertOneLineError(vlm(args), /already holds answers: continue that run with --resume/);
  });

  test("vlm eval pope scores those answers per split", () => {
    const r = vlm(["eval", "pope", "--answers", join(dir, "answers", "a.jsonl"), "--questions", join(dir, "questions.jsonl"), "--annotations", join(dir, "pope"), "--json", join(dir, "pope.json")]);
    assert.equal(r.code, 0, r.stderr);
    const [header, , ...rows] = r.stdout.trim().split("\n");
    assert.match(header, /^split\s+questions\s+accuracy\s+precision\s+recall\s+F1\s+yes$/);
    assert.deepEqual(rows.map((row) => row.split(/\s+/)[0]), ["adversarial", "random", "mean"]);
    const report = JSON.parse(readFileSync(join(dir, "pope.json"), "utf8")) as { splits: Array<{ category: string; count: number }> };
    assert.deepEqual(report.splits.map((s) => [s.category, s.count]), [["adversarial", 1], ["random", 2]]);
  });
});

describe("vlm eval score and vlm eval chair on small files", () => {
  const human = (answers: string[]) => answers.map((answer, i) => ({ answer, answer_confidence: "yes", answer_id: i + 1 }));
  const dir = scratchFiles("eval-score-cli", {
    "vqa.json": {
      annotations: [
        { question_id: 1, question_type: "how many", answer_type: "number", answers: human(Array(10).fill("2")) },
        { question_id: 2, question_type: "is the", answer_type: "yes/no", answers: human([...Array(2).fill("yes"), ...Array(8).fill("no")]) },
      ],
    },
    "answers.jsonl": jsonl([{ question_id: 1, text: "Two" }, { question_id: 2, text: "Yes." }]),
    "partial.jsonl": jsonl([{ question_id: 1, text: "Two" }]),
    "chair-answers.jsonl": jsonl([{ question_id: 1, text: "A puppy under a desk." }, { question_id: 2, text: "Two kittens and a dog." }]),
    "questions.jsonl": jsonl([{ question_id: 1, image: "scene1.png", text: "Describe." }, { question_id: 2, image: "scene2.png", text: "Describe." }]),
    "synonyms.txt": "dog, puppy\ncat, kitten\ntable, desk\n",
    "objects.jsonl": jsonl([{ image: "scene1.png", objects: ["dog", "desk"] }, { image: "scene2.png", objects: ["cat"] }]),
    "mc.jsonl": jsonl([{ question_id: 1, options: ["red", "blue"], answer: "B" }, { question_id: 2, options: ["yes", "no"], answer: 0 }]),
    "mc-answers.jsonl": jsonl([{ question_id: 1, text: "(B) blue" }, { question_id: 2, text: "B" }]),
  });
  const file = (name: string) => join(dir, name);

  test("vqav2: the accuracy table and the JSON report", () => {
    const r = vlm(["eval", "score", "vqav2", "--answers", file("answers.jsonl"), "--annotations", file("vqa.json"), "--json", file("vqa-report.json")]);
    assert.equal(r.code, 0, r.stderr);
    // "Two" -> "2" (10 annotators: 1); "Yes." -> "yes" (2 annotators: 0.6); overall 80.00%.
    assert.match(r.stdout, /overall\s+80\.00%\s+2/);
    assert.match(r.stdout, /answer type yes\/no\s+60\.00%\s+1/);
    const report = JSON.parse(readFileSync(file("vqa-report.json"), "utf8")) as { accuracy: number; items: unknown[] };
    assert.equal(report.items.length, 2);
    assert.ok(Math.abs(report.accuracy - 0.8) < 1e-12);
    assertOneLineError(vlm(["eval", "score", "vqav2", "--answers", file("partial.jsonl"), "--annotations", file("vqa.json")]), /1 of the 2 annotated questions have no answer .*--only-answered/);
  });

  test("chair with an objects file; without true objects, a one-line error", () => {
    const args = ["eval", "chair", "--answers", file("chair-answers.jsonl"), "--questions", file("questions.jsonl"), "--synonyms", file("synonyms.txt")];
    const r = vlm([...args, "--objects", file("objects.jsonl")]);
    assert.equal(r.code, 0, r.stderr);
    // Mentions: puppy, desk (both there); kitten (there), dog (not): CHAIRs 1/2, CHAIRi 1/4.
    assert.match(r.stdout, /\n\s*2\s+50\.00%\s+25\.00%\s+4\s+1\s+1\n?$/);
    assertOneLineError(vlm(args), /needs the true objects/);
  });

  test("vqa without --model: one line saying to pass one", () => {
    assertOneLineError(vlm(["eval", "vqa", "--questions", file("questions.jsonl"), "--image-folder", dir, "--out", file("out.jsonl")]), /vlm eval vqa needs --model for now/);
  });

  test("mc: letters parsed as MMMU does", () => {
    const r = vlm(["eval", "score", "mc", "--answers", file("mc-answers.jsonl"), "--annotations", file("mc.jsonl")]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /overall\s+50\.00%\s+2/);
  });
});
