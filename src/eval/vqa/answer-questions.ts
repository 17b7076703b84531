/**
 * Answers a LLaVA question file with a LLaVA model, as LLaVA's model_vqa_loader.py does: each
 * question becomes "<image>\n{question}" in the model's chat template, answers are greedy and
 * stripped, and one answer line per question is written in question order. Questions are
 * batched (left-padded; greedy answers equal one-at-a-time answers). Lines are appended batch
 * by batch, each batch flushed to disk, so a stopped run loses at most one batch: `resume`
 * continues after the answers already in the file.
 */
import { randomUUID } from "node:crypto";
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, truncateSync, writeSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { ArgumentError, DatasetError } from "../../errors.js";
import type { LlavaForConditionalGeneration } from "../../models/llava/model.js";
import type { LlavaProcessor } from "../../models/llava/processor.js";
import { noGrad } from "../../tensor/index.js";
import type { LlavaAnswerRecord, LlavaQuestion, QuestionFile } from "./files/llava.js";
import { pyStrip } from "./text/python-str.js";

export interface VqaModel {
  model: LlavaForConditionalGeneration;
  processor: LlavaProcessor;
}

export interface AnswerQuestionsOptions {
  /** The folder the questions' "image" names are relative to. */
  imageFolder: string;
  /** The answer file (JSON Lines) to write. */
  out: string;
  /** Written as each line's model_id. */
  modelId: string;
  /** Questions per generate call (default 1). */
  batchSize?: number;
  /** Answer length limit in tokens (default 128, LLaVA's). */
  maxNewTokens?: number;
  /** Keep the answers already in `out` (which must be this run's first questions) and answer the rest. */
  resume?: boolean;
  /** Replace an `out` that already has answers (without it, and without resume, that is an error). */
  overwrite?: boolean;
  /** Called after every batch. */
  onProgress?: (progress: VqaProgress) => void;
}

export interface VqaProgress {
  /** Questions with an answer in the file, resumed ones included. */
  done: number;
  total: number;
  /** Questions answered per second by this run so far. */
  questionsPerSecond: number;
}

export interface VqaRunReport {
  out: string;
  questions: number;
  /** Answers found in the file when resuming. */
  resumed: number;
  /** Answers written by this run. */
  answered: number;
  seconds: number;
  questionsPerSecond: number;
}

/**
 * The answers already in `out`, checked against the questions in order. A last line cut off by
 * a stop mid-write (no newline) is dropped from the file.
 */
function resumeFrom(out: string, questions: QuestionFile): number {
  const text = readFileSync(out, "utf8");
  const complete = text.lastIndexOf("\n") + 1;
  if (complete < text.length) truncateSync(out, Buffer.byteLength(text.slice(0, complete)));
  const lines = text.slice(0, complete).split("\n").slice(0, -1);
  if (lines.length > questions.lines.length) {
    throw new DatasetError(out, `has ${lines.length} answers, more than the ${questions.lines.length} questions asked from ${questions.file}: not a run of these questions`);
  }
  lines.forEach((line, i) => {
    let record: Partial<LlavaAnswerRecord>;
    try {
      record = JSON.parse(line) as Partial<LlavaAnswerRecord>;
    } catch {
      throw new DatasetError(out, "not a JSON answer line; cannot resume from this file", { line: i + 1 });
    }
    const q = questions.lines[i].value;
    if (record.question_id !== q.question_id || record.prompt !== q.text) {
      const asked = (id: unknown, text: unknown) => `${JSON.stringify(id)} (${JSON.stringify(text)})`;
      throw new DatasetError(
        out,
        `answers question ${asked(record.question_id, record.prompt)}, but question ${i + 1} of ${questions.file} is ${asked(q.question_id, q.text)}: not a run of these questions`,
        { line: i + 1 },
      );
    }
  });
  return lines.length;
}

/** Prepares `out` for appending and returns how many questions it already answers. */
function openAnswers(out: string, questions: QuestionFile, options: AnswerQuestionsOptions): number {
  mkdirSync(dirname(resolve(out)), { recursive: true });
  if (!existsSync(out)) return 0;
  if (options.resume) return resumeFrom(out, questions);
  if (!options.overwrite && readFileSync(out, "utf8").trim() !== "") {
    throw new ArgumentError(`${out} already holds answers: continue that run with --resume, or start again with --overwrite`);
  }
  truncateSync(out, 0);
  return 0;
}

function imagePath(folder: string, q: LlavaQuestion, questions: QuestionFile, line: number): string {
  const path = resolve(folder, q.image);
  if (!existsSync(path)) throw new DatasetError(questions.file, `image ${path} does not exist (the question's "image" is relative to the image folder ${folder})`, { line });
  return path;
}

/** Greedy answers to a batch of questions, in order. */
async function answerBatch(vqa: VqaModel, images: string[], batch: ReadonlyArray<LlavaQuestion>, maxNewTokens: number): Promise<string[]> {
  const prompts = batch.map((q) => vqa.processor.applyChatTemplate([{ role: "user", content: [{ type: "image" }, { type: "text", text: q.text }] }]));
  const inputs = await vqa.processor.process({ text: prompts, images, padding: batch.length > 1 });
  const out = noGrad(() => vqa.model.generate(inputs, { maxNewTokens, decoder: vqa.processor }));
  return out.texts!.map((t) => pyStrip(t));
}

/**
 * @example
 * const vqa = { model: await LlavaForConditionalGeneration.fromPretrained("llava-hf/llava-1.5-7b-hf"), processor: await LlavaProcessor.fromPretrained("llava-hf/llava-1.5-7b-hf") };
 * const questions = { file: "questions.jsonl", lines: readLlavaQuestions("questions.jsonl") };
 * await answerQuestions(vqa, questions, { imageFolder: "images", out: "answers.jsonl", modelId: "llava-1.5-7b-hf", batchSize: 4 });
 */
export async function answerQuestions(vqa: VqaModel, questions: QuestionFile, options: AnswerQuestionsOptions): Promise<VqaRunReport> {
  const batchSize = options.batchSize ?? 1;
  const maxNewTokens = options.maxNewTokens ?? 128;
  if (!(Number.isInteger(batchSize) && batchSize > 0)) throw new ArgumentError(`batchSize must be a positive integer, got ${batchSize}`);
  const total = questions.lines.length;
  // Every image is checked before the first answer, so a missing one does not stop a long run late.
  const images = questions.lines.map(({ value, line }) => imagePath(options.imageFolder, value, questions, line));
  const resumed = openAnswers(options.out, questions, options);
  const fd = openSync(options.out, "a");
  const started = process.hrtime.bigint();
  const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
  let answered = 0;
  try {
    for (let start = resumed; start < total; start += batchSize) {
      const batch = questions.lines.slice(start, start + batchSize).map((l) => l.value);
      const texts = await answerBatch(vqa, images.slice(start, start + batch.length), batch, maxNewTokens);
      const lines = batch.map((q, i) => {
        const record: LlavaAnswerRecord = { question_id: q.question_id, prompt: q.text, text: texts[i], answer_id: randomUUID(), model_id: options.modelId, metadata: {} };
        return `${JSON.stringify(record)}\n`;
      });
      writeSync(fd, lines.join(""));
      fsyncSync(fd);
      answered += batch.length;
      options.onProgress?.({ done: resumed + answered, total, questionsPerSecond: answered / seconds() });
    }
  } finally {
    closeSync(fd);
  }
  const elapsed = seconds();
  return { out: options.out, questions: total, resumed, answered, seconds: elapsed, questionsPerSecond: answered > 0 ? answered / elapsed : NaN };
}
