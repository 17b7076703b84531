/**
 * ChartQA's relaxed accuracy (Masry et al., 2022; the `relaxed_correctness` of the Pix2Struct
 * and ChartQA code): when the answer reads as a number (Python's float(), "%" meaning /100)
 * and so does a non-zero reference, it is right within 5% of the reference; otherwise it must
 * equal the reference, case aside.
 */
import type { AnswerFile } from "./files/llava.js";
import type { Reference } from "./files/references.js";
import { pairWithAnswers } from "./pairs.js";
import { type Accuracy, accuracyBy, mean } from "./summary.js";
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

export interface ChartQaOptions {
  /** Score only the questions that have an answer (default: every one must). */
  onlyAnswered?: boolean;
}

export interface ChartQaReport {
  benchmark: "chartqa";
  accuracy: number;
  count: number;
  /** Per "split"/"category"/"type" of the references (ChartQA's human and augmented sets). */
  perGroup: Record<string, Accuracy>;
  unmatchedAnswers: number;
  items: Array<{ question_id: string | number; answer: string; correct: boolean }>;
}

/**
 * A question with several references is right when any of them accepts the answer.
 *
 * @example
 * const report = scoreChartQa(readReferences("chartqa_test.jsonl"), { file, lines: readLlavaAnswers(file) });
 */
export function scoreChartQa(references: readonly Reference[], answers: AnswerFile, options: ChartQaOptions = {}): ChartQaReport {
  const { pairs, unmatchedAnswers } = pairWithAnswers(references, (r) => String(r.id), answers, options.onlyAnswered);
  const items = pairs.map(({ item, answer }) => ({
    reference: item,
    question_id: item.id,
    answer: answer.text,
    correct: item.answers.some((r) => relaxedCorrect(answer.text, String(r))),
  }));
  const score = (i: (typeof items)[number]) => (i.correct ? 1 : 0);
  return {
    benchmark: "chartqa",
    accuracy: mean(items.map(score)),
    count: items.length,
    perGroup: accuracyBy(items.filter((i) => i.reference.group !== undefined), (i) => i.reference.group!, score),
    unmatchedAnswers,
    items: items.map(({ question_id, answer, correct }) => ({ question_id, answer, correct })),
  };
}
