/**
 * The shared shape of the benchmarks scored against a list of reference answers (DocVQA,
 * ChartQA, multiple choice): each annotated question's answer is judged, and the judgements
 * are averaged overall and per the references' group.
 */
import type { AnswerFile } from "./files/llava.js";
import type { Reference } from "./files/references.js";
import { type CoverageOptions, pairWithAnswers } from "./pairs.js";
import { type Accuracy, accuracyBy, mean } from "./summary.js";

export type JudgedItem<Extra> = { question_id: string | number; answer: string; score: number } & Extra;

export interface ReferenceScores<Extra> {
  /** The mean score. */
  mean: number;
  count: number;
  /** Per "category"/"split"/"type" of the references, when they have one. */
  perGroup: Record<string, Accuracy>;
  /** Answers to questions the references lack (left out). */
  unmatchedAnswers: number;
  items: Array<JudgedItem<Extra>>;
}

/** Judges every referenced question's answer in file order; `judge` gives a score in [0, 1] and any detail to keep. */
export function scoreAgainstReferences<Extra extends object>(
  references: readonly Reference[],
  answers: AnswerFile,
  options: CoverageOptions,
  judge: (reference: Reference, answer: string) => { score: number } & Extra,
): ReferenceScores<Extra> {
  const { pairs, unmatchedAnswers } = pairWithAnswers(references, (r) => String(r.id), answers, options.onlyAnswered);
  const judged = pairs.map(({ item, answer }) => ({ reference: item, item: { question_id: item.id, answer: answer.text, ...judge(item, answer.text) } as JudgedItem<Extra> }));
  return {
    mean: mean(judged.map((j) => j.item.score)),
    count: judged.length,
    perGroup: accuracyBy(judged.filter((j) => j.reference.group !== undefined), (j) => j.reference.group!, (j) => j.item.score),
    unmatchedAnswers,
    items: judged.map((j) => j.item),
  };
}
