/**
 * DocVQA's ANLS (Biten et al., 2019), as the DocVQA evaluation script computes it: each answer
 * and reference is lowercased, stripped and its whitespace collapsed; the normalised
 * Levenshtein distance is the edit distance of those divided by the longer of the two texts
 * as written; a question scores 1 - its smallest distance over the references, or 0 when that
 * is below the 0.5 threshold; ANLS is the mean over questions.
 */
import type { AnswerFile } from "./files/llava.js";
import type { Reference } from "./files/references.js";
import { pairWithAnswers } from "./pairs.js";
import { type Accuracy, accuracyBy, mean } from "./summary.js";
import { levenshtein } from "./text/levenshtein.js";
import { pyLen, pySplit, pyStrip } from "./text/python-str.js";

export const ANLS_THRESHOLD = 0.5;

function normalise(text: string): string {
  return pySplit(pyStrip(text).toLowerCase()).join(" ");
}

/**
 * One question's ANLS score.
 *
 * @example
 * anls("Room 12", ["room 12"]);   // 1
 * anls("Room 1", ["room 12"]);    // 1 - 1/7 = 0.857...
 * anls("tuesday", ["room 12"]);   // 0 (distance 7/7 > 0.5)
 */
export function anls(answer: string, references: readonly string[], threshold = ANLS_THRESHOLD): number {
  const distances = references.map((reference) => {
    // The script measures the length of the texts as written (upper-cased), not of the normalised ones.
    const length = Math.max(pyLen(reference.toUpperCase()), pyLen(answer.toUpperCase()));
    return length === 0 ? 0 : levenshtein(normalise(reference), normalise(answer)) / length;
  });
  const score = 1 - Math.min(...distances);
  return score < threshold ? 0 : score;
}

export interface DocVqaOptions {
  /** Score only the questions that have an answer (default: every one must). */
  onlyAnswered?: boolean;
}

export interface DocVqaReport {
  benchmark: "docvqa";
  anls: number;
  count: number;
  perGroup: Record<string, Accuracy>;
  unmatchedAnswers: number;
  items: Array<{ question_id: string | number; answer: string; anls: number }>;
}

/**
 * @example
 * const report = scoreDocVqa(readReferences("val_v1.0.json"), { file, lines: readLlavaAnswers(file) });
 * report.anls;
 */
export function scoreDocVqa(references: readonly Reference[], answers: AnswerFile, options: DocVqaOptions = {}): DocVqaReport {
  const { pairs, unmatchedAnswers } = pairWithAnswers(references, (r) => String(r.id), answers, options.onlyAnswered);
  const items = pairs.map(({ item, answer }) => ({ reference: item, question_id: item.id, answer: answer.text, anls: anls(answer.text, item.answers.map(String)) }));
  return {
    benchmark: "docvqa",
    anls: mean(items.map((i) => i.anls)),
    count: items.length,
    perGroup: accuracyBy(items.filter((i) => i.reference.group !== undefined), (i) => i.reference.group!, (i) => i.anls),
    unmatchedAnswers,
    items: items.map(({ question_id, answer, anls: score }) => ({ question_id, answer, anls: score })),
  };
}
