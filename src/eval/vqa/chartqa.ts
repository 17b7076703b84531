/**
 * ChartQA's relaxed accuracy (Masry et al., 2022; the `relaxed_correctness` of the Pix2Struct
 * and ChartQA code): when the answer reads as a number (Python's float(), "%" meaning /100)
 * and so does a non-zero reference, it is right within 5% of the reference; otherwise it must
 * equal the reference, case aside.
 */
import type { AnswerFile } from "./files/llava.js";
import type { Reference } from "./files/references.js";
import { type ReferenceScores, scoreAgainstReferences } from "./against-references.js";
import type { CoverageOptions } from "./pairs.js";
import { pyFloat, pyRStrip } from "./text/python-str.js";

export const CHARTQA_TOLERANCE = 0.05;

function toNumber(text: string): number | null {
  if (text.endsWith("%")) {
    const n = pyFloat(pyRStrip(text, "%"));
    return n === null ? null : n / 100;
  }
  return pyFloat(text);
}

/**
 * @example
 * relaxedCorrect("12.4", "12");    // true (3.3% off)
 * relaxedCorrect("13", "12");      // false (8.3% off)
 * relaxedCorrect("45%", "0.45");   // true
 * relaxedCorrect("Yes", "yes");    // true
 */
export function relaxedCorrect(answer: string, reference: string, tolerance = CHARTQA_TOLERANCE): boolean {
  const a = toNumber(answer);
  const r = toNumber(reference);
  // The original tests `prediction_float is not None and target_float`: a reference of 0 is
  // false there (compared as text), NaN is true (and then never within tolerance).
  if (a !== null && r !== null && r !== 0) return Math.abs(a - r) / Math.abs(r) <= tolerance;
  return answer.toLowerCase() === reference.toLowerCase();
}

export interface ChartQaReport extends Omit<ReferenceScores<object>, "mean"> {
  benchmark: "chartqa";
  accuracy: number;
}

/**
 * A question with several references is right when any of them accepts the answer. The
 * report's groups are the references' "split" (ChartQA's human and augmented sets) or category.
 *
 * @example
 * const report = scoreChartQa(readReferences("chartqa_test.jsonl"), { file, lines: readLlavaAnswers(file) });
 */
export function scoreChartQa(references: readonly Reference[], answers: AnswerFile, options: CoverageOptions = {}): ChartQaReport {
  const { mean: accuracy, ...scores } = scoreAgainstReferences(references, answers, options, (r, answer) => ({
    score: r.answers.some((ref) => relaxedCorrect(answer, String(ref))) ? 1 : 0,
  }));
  return { benchmark: "chartqa", accuracy, ...scores };
}
