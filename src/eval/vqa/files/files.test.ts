/** The readers of the official file formats: what they accept, and errors that name the file and line. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { DatasetError, NotFoundError } from "../../../errors.js";
import { jsonl, scratchFiles } from "../../../../test/support/vqa-files.js";
import { readSynonyms } from "./chair.js";
import { readGqaQuestions } from "./gqa.js";
import { readLlavaAnswers, readLlavaQuestions } from "./llava.js";
import { popeCategory, readPopeLabelSources } from "./pope.js";
import { readReferences } from "./references.js";
import { readTextVqaAnnotations } from "./textvqa.js";
import { readVqaAnnotations } from "./vqav2.js";

test("LLaVA question and answer files: blank lines skipped, bad lines named", () => {
  const dir = scratchFiles("files", {
    "q.jsonl": jsonl([{ question_id: 1, image: "a.jpg", text: "What?", category: "random" }]) + "\n" + jsonl([{ question_id: "x", image: "b.jpg", text: "Why?" }]),
    "bad-json.jsonl": '{"question_id": 1, "image": "a.jpg", "text": "ok"}\n{"question_id": 2,\n',
    "no-image.jsonl": jsonl([{ question_id: 1, text: "What?" }]),
    "a.jsonl": jsonl([{ question_id: 1, prompt: "What?", text: "yes", answer_id: "x", model_id: "m", metadata: {} }, { question_id: 2 }]),
    "empty.jsonl": "\n",
  });
  const q = readLlavaQuestions(join(dir, "q.jsonl"));
  assert.deepEqual(q.map((l) => [l.value.question_id, l.line]), [[1, 1], ["x", 3]]);
  assert.equal(q[0].value.category, "random", "other fields are kept");
  assert.throws(() => readLlavaQuestions(join(dir, "bad-json.jsonl")), (e: unknown) => e instanceof DatasetError && e.line === 2 && /not valid JSON/.test(e.message));
  assert.throws(() => readLlavaQuestions(join(dir, "no-image.jsonl")), (e: unknown) => e instanceof DatasetError && /no-image\.jsonl:1: .*image: expected the image's file name/.test(e.message));
  assert.throws(() => readLlavaAnswers(join(dir, "a.jsonl")), (e: unknown) => e instanceof DatasetError && /a\.jsonl:2: .*text: expected the answer text/.test(e.message));
  assert.throws(() => readLlavaQuestions(join(dir, "empty.jsonl")), /no questions in this file/);
  assert.throws(() => readLlavaQuestions(join(dir, "missing.jsonl")), NotFoundError);
});

test("VQA, TextVQA and GQA annotation files name the offending entry", () => {
  const dir = scratchFiles("files", {
    "vqa.json": { annotations: [{ question_id: 1, question_type: "what", answer_type: "other", answers: [{ answer: "x", answer_id: 1 }] }] },
    "vqa-bad.json": { annotations: [{ question_id: 1, question_type: "what", answer_type: "other", answers: [{ answer: 3 }] }] },
    "textvqa.json": { data: [{ image_id: "i", question: "q?", answers: ["a"] }] },
    "gqa.json": { "01": { answer: "yes", isBalanced: true, types: { structural: "verify", semantic: "attr", detailed: "x" } } },
    "gqa-bad.json": { "01": { answer: "yes", types: { structural: "verify", semantic: "attr" } } },
    "not-json.json": "{",
  });
  assert.equal(readVqaAnnotations(join(dir, "vqa.json"))[0].answers[0].answer, "x");
  assert.throws(() => readVqaAnnotations(join(dir, "vqa-bad.json")), /vqa-bad\.json: not a VQA annotations .* file: annotations\.0\.answers\.0\.answer: /);
  assert.equal(readTextVqaAnnotations(join(dir, "textvqa.json"))[0].image_id, "i");
  assert.equal(readGqaQuestions(join(dir, "gqa.json"))["01"].types.semantic, "attr");
  assert.throws(() => readGqaQuestions(join(dir, "gqa-bad.json")), /01\.isBalanced/);
  assert.throws(() => readVqaAnnotations(join(dir, "not-json.json")), /not-json\.json: not valid JSON/);
});

test("reference answers: DocVQA's file, a JSON array or JSON Lines; field aliases", () => {
  const dir = scratchFiles("files", {
    "docvqa.json": { dataset_name: "docvqa", data: [{ questionId: 337, question: "What?", answers: ["A", "a."], question_types: ["form"] }] },
    "chartqa.jsonl": jsonl([{ question_id: 1, label: "62", split: "human" }, { question_id: 2, answer: 0.5, type: "augmented" }]),
    "mc.json": [{ question_id: "m1", options: ["x", "y"], answer: ["A", "B"], category: "Art" }],
    "dup.jsonl": jsonl([{ question_id: 1, answer: "a" }, { question_id: 1, answer: "b" }]),
    "no-answer.jsonl": jsonl([{ question_id: 1 }]),
    "no-id.jsonl": jsonl([{ answer: "a" }]),
  });
  assert.deepEqual(readReferences(join(dir, "docvqa.json")), [{ id: 337, answers: ["A", "a."], options: undefined, group: undefined, source: `${join(dir, "docvqa.json")} data[0]` }]);
  assert.deepEqual(readReferences(join(dir, "chartqa.jsonl")).map((r) => [r.id, r.answers, r.group]), [[1, ["62"], "human"], [2, [0.5], "augmented"]]);
  assert.deepEqual(readReferences(join(dir, "mc.json")).map((r) => [r.answers, r.options, r.group]), [[["A", "B"], ["x", "y"], "Art"]]);
  assert.throws(() => readReferences(join(dir, "dup.jsonl")), /question 1 appears twice \(.*dup\.jsonl:1 and .*dup\.jsonl:2\)/);
  assert.throws(() => readReferences(join(dir, "no-answer.jsonl")), (e: unknown) => e instanceof DatasetError && e.line === 1 && /expected "answers", "answer" or "label"/.test(e.message));
  assert.throws(() => readReferences(join(dir, "no-id.jsonl")), /expected "question_id" \(or "questionId"\)/);
});

test("POPE label files: a folder is its .json files, the split is the name after coco_pope_", () => {
  const dir = scratchFiles("pope", {
    "coco/coco_pope_random.json": jsonl([{ question_id: 1, image: "a.jpg", text: "Is there a dog?", label: "yes" }]),
    "coco/coco_pope_popular.json": jsonl([{ question_id: 1, image: "a.jpg", text: "Is there a cat?", label: "no" }]),
    "coco/README.md": "not a label file",
    "scene_adversarial.jsonl": jsonl([{ question_id: 1, label: "no" }]),
    "bad.json": jsonl([{ question_id: 1, answer: "no" }]),
  });
  const splits = readPopeLabelSources([join(dir, "coco"), join(dir, "scene_adversarial.jsonl")]);
  assert.deepEqual(splits.map((s) => [s.category, s.labels]), [["popular", ["no"]], ["random", ["yes"]], ["scene_adversarial", ["no"]]]);
  assert.equal(popeCategory("/x/coco_pope_adversarial.json"), "adversarial");
  assert.throws(() => readPopeLabelSources([join(dir, "coco"), join(dir, "coco", "coco_pope_random.json")]), /split "random" is also/);
  assert.throws(() => readPopeLabelSources([join(dir, "bad.json")]), /bad\.json:1: .*label/);
  assert.throws(() => readPopeLabelSources([join(dir, "nowhere")]), NotFoundError);
});

test("synonyms: one object per line, its words separated by \", \"", () => {
  const dir = scratchFiles("syn", { "synonyms.txt": "person, girl, boy\n\n  bicycle, bike \ntraffic light, stop light\n" });
  assert.deepEqual(readSynonyms(join(dir, "synonyms.txt")), [["person", "girl", "boy"], ["bicycle", "bike"], ["traffic light", "stop light"]]);
  assert.throws(() => readSynonyms(join(dir, "none.txt")), NotFoundError);
});
