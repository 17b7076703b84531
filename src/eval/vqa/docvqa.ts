/**
 * DocVQA's ANLS (Biten et al., 2019), as the DocVQA evaluation script computes it: each answer
 * and reference is lowercased, stripped and its whitespace collapsed; the normalised
 * Levenshtein distance is the edit distance of those divided by the longer of the two texts
 * as written; a question scores 1 - its smallest distance over the references, or 0 when that
 * is below the 0.5 threshold; ANLS is the mean over questions.
 */
import type { AnswerFile } from "./files/llava.js";
import type { Reference } from "./files/references.js";
import { type ReferenceScores, scoreAgainstReferences } from "./against-references.js";
import type { CoverageOptions } from "./pairs.js";
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

export interface DocVqaReport extends Omit<ReferenceScores<object>, "mean"> {
  benchmark: "docvqa";
  anls: number;
}

/**
 * @example
 * const report = scoreDocVqa(readReferences("val_v1.0.json"), { file, lines: readLlavaAnswers(file) });
 * report.anls;
 */
export function scoreDocVqa(references: readonly Reference[], answers: AnswerFile, options: CoverageOptions = {}): DocVqaReport {
  const { mean: meanAnls, ...scores } = scoreAgainstReferences(references, answers, options, (r, answer) => ({ score: anls(answer, r.answers.map(String)) }));
  return { benchmark: "docvqa", anls: meanAnls, ...scores };
}
