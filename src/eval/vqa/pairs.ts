/**
 * Pairing annotated questions with their answers, for the scorers that go through the
 * annotations (VQAv2, GQA, DocVQA, ChartQA, multiple choice). As in the official scripts every
 * annotated question needs an answer; `onlyAnswered` scores the answered ones instead, and
 * answers to questions the annotations lack are counted and left out. Ids are compared as text,
 * so an answer to 42 finds the annotation of "42" (no official file mixes the two).
 */
import { DatasetError } from "../../errors.js";
import { type AnswerFile, type LlavaAnswer, answersById } from "./files/llava.js";

export interface CoverageOptions {
  /** Score only the annotated questions that have an answer (default: every one must). */
  onlyAnswered?: boolean;
}

export interface Paired<T> {
  pairs: Array<{ item: T; answer: LlavaAnswer }>;
  /** Answers whose question is not annotated. */
  unmatchedAnswers: number;
}

export function pairWithAnswers<T>(items: readonly T[], idOf: (item: T) => string, answers: AnswerFile, onlyAnswered?: boolean): Paired<T> {
  const byId = answersById(answers.file, answers.lines);
  const missing = items.map(idOf).filter((id) => !byId.has(id));
  if (missing.length > 0 && !onlyAnswered) {
    if (missing.length === items.length) {
      throw new DatasetError(answers.file, `none of the ${items.length} annotated questions has an answer here: are these answers for another benchmark or split?`);
    }
    throw new DatasetError(
      answers.file,
      `${missing.length} of the ${items.length} annotated questions have no answer (first: ${missing.slice(0, 5).join(", ")}); ` +
        `answer them all, or score only the ${items.length - missing.length} answered with --only-answered`,
    );
  }
  const annotated = new Set(items.map(idOf));
  return {
    pairs: items.filter((item) => byId.has(idOf(item))).map((item) => ({ item, answer: byId.get(idOf(item))!.value })),
    unmatchedAnswers: answers.lines.filter((a) => !annotated.has(String(a.value.question_id))).length,
  };
}
