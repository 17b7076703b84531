/**
 * LLaVA's evaluation files (llava/eval/model_vqa_loader.py): a question file with one
 * `{"question_id", "image", "text", ...}` per line (benchmarks add fields such as POPE's
 * "category"), and an answer file with one `{"question_id", "prompt", "text", "answer_id",
 * "model_id", "metadata"}` per line, in question order.
 */
import { z } from "zod";
import { DatasetError } from "../../../errors.js";
import { type Line, type QuestionId, questionId, readJsonLines } from "./read.js";

const questionLine = z.looseObject({
  question_id: questionId,
  image: z.string({ error: "expected the image's file name (relative to the image folder)" }).min(1),
  text: z.string({ error: "expected the question text" }),
});

/** One question line; other fields of the line are kept as they are. */
export type LlavaQuestion = z.infer<typeof questionLine>;

const answerLine = z.looseObject({
  question_id: questionId,
  text: z.string({ error: "expected the answer text" }),
  prompt: z.string().optional(),
});

/** One answer line (only what scorers read is checked; answer_id, model_id and metadata are kept). */
export type LlavaAnswer = z.infer<typeof answerLine>;

/** What `vlm eval vqa` writes per question. */
export interface LlavaAnswerRecord {
  question_id: QuestionId;
  /** The question text, as LLaVA writes it (the line's "text", not the templated prompt). */
  prompt: string;
  text: string;
  answer_id: string;
  model_id: string;
  metadata: Record<string, unknown>;
}

/** A question file as read: its path (for errors) and its lines. */
export interface QuestionFile {
  file: string;
  lines: ReadonlyArray<Line<LlavaQuestion>>;
}

/** An answer file as read: its path (for errors) and its lines. */
export interface AnswerFile {
  file: string;
  lines: ReadonlyArray<Line<LlavaAnswer>>;
}

export function readLlavaQuestions(file: string): Array<Line<LlavaQuestion>> {
  const lines = readJsonLines(file, questionLine, "a LLaVA question file ({question_id, image, text})");
  if (lines.length === 0) throw new DatasetError(file, "no questions in this file");
  return lines;
}

export function readLlavaAnswers(file: string): Array<Line<LlavaAnswer>> {
  return readJsonLines(file, answerLine, "a LLaVA answer file ({question_id, text, ...})");
}

/**
 * Answers by question id, for benchmarks whose ids are unique. A second answer to a question
 * is an error naming both lines (Python's dict would keep the last one silently; a duplicate
 * here means two runs were mixed).
 */
export function answersById(file: string, answers: ReadonlyArray<Line<LlavaAnswer>>): Map<string, Line<LlavaAnswer>> {
  const byId = new Map<string, Line<LlavaAnswer>>();
  for (const a of answers) {
    const key = String(a.value.question_id);
    const seen = byId.get(key);
    if (seen) throw new DatasetError(file, `question ${JSON.stringify(a.value.question_id)} is answered twice (lines ${seen.line} and ${a.line})`, { line: a.line });
    byId.set(key, a);
  }
  return byId;
}
