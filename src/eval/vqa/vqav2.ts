/**
 * VQAv2 accuracy as the VQA challenge's vqaEval.py (GT-Vision-Lab/VQA, master) computes it: the
 * answer normalised (punctuation, number words, articles, contractions), then for each of the
 * ten annotators min(#other annotators who gave that answer / 3, 1), averaged over the ten
 * leave-one-out subsets. When the annotators disagree their answers get the punctuation rule
 * too (never the number and article rule: the released answers are already normalised).
 *
 * LLaVA's answers pass through the EvalAI answer processor before submission
 * (scripts/convert_vqav2_for_submission.py); `answerProcessor: "llava"` (the default) does the same.
 */
import type { VqaAnnotation, VqaHumanAnswer } from "./files/vqav2.js";
import type { AnswerFile } from "./files/llava.js";
import { type CoverageOptions, pairWithAnswers } from "./pairs.js";
import { type Accuracy, accuracyBy, mean } from "./summary.js";
import { evalAiAnswer, normalizeVqaAnswer, vqaPunctuation } from "./text/vqa-answer.js";

export interface VqaV2Options extends CoverageOptions {
  /** "llava": the answer first goes through LLaVA's EvalAI processor (default); "none": scored as written. */
  answerProcessor?: "llava" | "none";
}

export interface VqaV2Item {
  question_id: string | number;
  /** The answer as compared with the human answers. */
  answer: string;
  accuracy: number;
}

export interface VqaV2Report {
  benchmark: "vqav2";
  accuracy: number;
  count: number;
  perAnswerType: Record<string, Accuracy>;
  perQuestionType: Record<string, Accuracy>;
  /** Answers to questions the annotation file does not have (ignored, as LLaVA's converter ignores them). */
  unmatchedAnswers: number;
  items: VqaV2Item[];
}

// Python's dict equality: the official code leaves an annotator out by comparing whole answer
// records, which differ by answer_id in the released files.
function sameRecord(a: VqaHumanAnswer, b: VqaHumanAnswer): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => JSON.stringify(a[k]) === JSON.stringify(b[k]));
}

/**
 * The accuracy of one normalised answer against the human answers of one question.
 *
 * @example
 * vqaAccuracy("2", ["2", "2", "2", "two", "3", "2", "2", "2", "2", "2"].map((answer, i) => ({ answer, answer_id: i + 1 })));   // 1
 */
export function vqaAccuracy(answer: string, humans: readonly VqaHumanAnswer[]): number {
  const disagree = new Set(humans.map((h) => h.answer)).size > 1;
  const gts = disagree ? humans.map((h) => ({ ...h, answer: vqaPunctuation(h.answer) })) : humans;
  const perSubset = gts.map((left) => {
    const matching = gts.filter((other) => !sameRecord(other, left) && other.answer === answer).length;
    return Math.min(1, matching / 3);
  });
  return mean(perSubset);
}

/**
 * Scores LLaVA-format answers against the VQA annotations.
 *
 * @example
 * const report = scoreVqaV2(readVqaAnnotations("v2_mscoco_val2014_annotations.json"), { file: "answers.jsonl", lines: readLlavaAnswers("answers.jsonl") });
 * report.accuracy;   // 0..1; the challenge prints it x100 with 2 decimals
 */
export function scoreVqaV2(annotations: readonly VqaAnnotation[], answers: AnswerFile, options: VqaV2Options = {}): VqaV2Report {
  const { pairs, unmatchedAnswers } = pairWithAnswers(annotations, (a) => String(a.question_id), answers, options.onlyAnswered);
  const llava = (options.answerProcessor ?? "llava") === "llava";
  const scored = pairs.map(({ item: a, answer: raw }) => {
    const answer = normalizeVqaAnswer(llava ? evalAiAnswer(raw.text) : raw.text);
    return { annotation: a, item: { question_id: a.question_id, answer, accuracy: vqaAccuracy(answer, a.answers) } };
  });
  const accuracy = (s: (typeof scored)[number]) => s.item.accuracy;
  return {
    benchmark: "vqav2",
    accuracy: mean(scored.map(accuracy)),
    count: scored.length,
    perAnswerType: accuracyBy(scored, (s) => s.annotation.answer_type, accuracy),
    perQuestionType: accuracyBy(scored, (s) => s.annotation.question_type, accuracy),
    unmatchedAnswers,
    items: scored.map((s) => s.item),
  };
}
