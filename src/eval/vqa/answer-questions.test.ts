/**
 * The answering runner on the reference tiny LLaVA (a complete folder made from
 * ../shared/reference/llava/tiny; skipped with a note when that is absent): batched answers
 * equal one-at-a-time answers, the answer file has LLaVA's fields, and a run resumes.
 */
import assert from "node:assert/strict";
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { ArgumentError, DatasetError } from "../../errors.js";
import { LlavaForConditionalGeneration } from "../../models/llava/model.js";
import { writeTinyLlavaFolder } from "../../../test/support/tiny-llava.js";
import { LlavaProcessor } from "../../models/llava/processor.js";
import { referencePath, skipWithoutReference } from "../../../test/support/reference.js";
import { jsonl, linesOf, scratchFiles } from "../../../test/support/vqa-files.js";
import { type VqaModel, type VqaProgress, answerQuestions } from "./answer-questions.js";
import type { LlavaAnswerRecord, LlavaQuestion, QuestionFile } from "./files/llava.js";

const skip = skipWithoutReference("llava", "tiny");
const images = referencePath("llava", "tiny", "images");

const QUESTIONS: LlavaQuestion[] = [
  "What is shown in this image?", "How many animals are there?", "Describe the colours.", "Is it day or night?", "What shapes are drawn?",
].map((text, i) => ({ question_id: i + 1, image: i % 2 ? "photo_board.jpg" : "shapes_wide.png", text, category: "demo" }));

const questionFile = (questions = QUESTIONS): QuestionFile => linesOf("questions.jsonl", questions);
const records = (file: string): LlavaAnswerRecord[] => readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l) as LlavaAnswerRecord);
const texts = (file: string) => records(file).map((r) => r.text);

describe("answerQuestions on the tiny reference LLaVA", { skip }, () => {
  let vqa: VqaModel;
  let dir: string;
  let oneAtATime: string[];
  const options = (out: string) => ({ imageFolder: images, out: join(dir, out), modelId: "tiny-llava", maxNewTokens: 6 });

  before(async () => {
    dir = scratchFiles("vqa-run", {});
    const folder = writeTinyLlavaFolder(join(dir, "model"), referencePath("llava", "tiny"));
    vqa = { model: await LlavaForConditionalGeneration.fromPretrained(folder), processor: await LlavaProcessor.fromPretrained(folder) };
    await answerQuestions(vqa, questionFile(), { ...options("one.jsonl"), batchSize: 1 });
    oneAtATime = texts(join(dir, "one.jsonl"));
  });

  test("batched answers equal one-at-a-time answers (batches of 2 with a short last one, and all 5 at once)", async () => {
    assert.equal(oneAtATime.length, 5);
    assert.ok(oneAtATime.every((t) => t.length > 0 && t === t.trim()), JSON.stringify(oneAtATime));
    assert.notEqual(oneAtATime[0], oneAtATime[1], "different images give different answers (the check is not vacuous)");
    for (const batchSize of [2, 5]) {
      const progress: VqaProgress[] = [];
      const report = await answerQuestions(vqa, questionFile(), { ...options(`batch${batchSize}.jsonl`), batchSize, onProgress: (p) => progress.push(p) });
      assert.deepEqual(texts(report.out), oneAtATime, `batch size ${batchSize}`);
      assert.deepEqual(progress.map((p) => p.done), batchSize === 2 ? [2, 4, 5] : [5]);
      assert.equal(report.answered, 5);
      assert.ok(report.questionsPerSecond > 0 && report.seconds > 0);
    }
  });

  test("each line has LLaVA's fields: the question text as prompt, a unique answer_id, the model id", () => {
    const lines = records(join(dir, "one.jsonl"));
    assert.deepEqual(lines.map((l) => Object.keys(l)), lines.map(() => ["question_id", "prompt", "text", "answer_id", "model_id", "metadata"]));
    assert.deepEqual(lines.map((l) => [l.question_id, l.prompt, l.model_id, l.metadata]), QUESTIONS.map((q) => [q.question_id, q.text, "tiny-llava", {}]));
    assert.equal(new Set(lines.map((l) => l.answer_id)).size, 5);
  });

  test("a stopped run resumes after its last complete answer", async () => {
    const out = join(dir, "resumed.jsonl");
    await answerQuestions(vqa, questionFile(QUESTIONS.slice(0, 2)), { ...options("resumed.jsonl"), batchSize: 2 });
    // A stop in the middle of writing the third line.
    appendFileSync(out, '{"question_id": 3, "prom');
    const report = await answerQuestions(vqa, questionFile(), { ...options("resumed.jsonl"), batchSize: 2, resume: true });
    assert.deepEqual([report.resumed, report.answered], [2, 3]);
    assert.deepEqual(texts(out), oneAtATime);
    // Resuming a finished run answers nothing.
    const again = await answerQuestions(vqa, questionFile(), { ...options("resumed.jsonl"), resume: true });
    assert.deepEqual([again.resumed, again.answered], [5, 0]);
  });

  test("an answer file of other questions is not resumed, and answers are not overwritten unasked", async () => {
    const out = join(dir, "other.jsonl");
    writeFileSync(out, jsonl([{ question_id: 9, prompt: "Something else?", text: "x" }]));
    await assert.rejects(answerQuestions(vqa, questionFile(), { ...options("other.jsonl"), resume: true }), (e: unknown) =>
      e instanceof DatasetError && e.line === 1 && /answers question 9 \("Something else\?"\), but question 1 of questions\.jsonl is 1 \("What is shown in this image\?"\): not a run of these questions/.test(e.message));
    await assert.rejects(answerQuestions(vqa, questionFile(), options("other.jsonl")), (e: unknown) =>
      e instanceof ArgumentError && /already holds answers: continue that run with --resume, or start again with --overwrite/.test(e.message));
    await answerQuestions(vqa, questionFile(QUESTIONS.slice(0, 1)), { ...options("other.jsonl"), overwrite: true });
    assert.deepEqual(texts(out), oneAtATime.slice(0, 1));
  });

  test("a missing image stops the run before any answer, naming the question's line", async () => {
    const questions = questionFile([...QUESTIONS.slice(0, 2), { question_id: 3, image: "nowhere.png", text: "What?" }]);
    await assert.rejects(answerQuestions(vqa, questions, options("missing.jsonl")), (e: unknown) =>
      e instanceof DatasetError && e.line === 3 && /nowhere\.png does not exist/.test(e.message));
    assert.ok(!existsSync(join(dir, "missing.jsonl")));
  });
});
