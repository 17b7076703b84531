/**
 * POPE as LLaVA scores it (llava/eval/eval_pope.py, POPE's own evaluate.py): an answer is "no"
 * when its first sentence, commas removed and split on spaces, has the word "No", "no" or
 * "not", and "yes" otherwise; a label is "no" when it is "no" and "yes" otherwise. Per split
 * (the question file's "category"), the split's answers in file order are paired with its
 * labels in file order, and accuracy, precision, recall, F1 and the share of "yes" answers
 * are computed with "yes" as the positive class.
 */
import { DatasetError } from "../../errors.js";
import type { AnswerFile, QuestionFile } from "./files/llava.js";
import type { PopeLabels } from "./files/pope.js";
import { mean } from "./summary.js";

export interface PopeSplitReport {
  category: string;
  count: number;
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  accuracy: number;
  /** NaN when no answer says yes (the official script divides by zero there). */
  precision: number;
  recall: number;
  f1: number;
  yesRatio: number;
}

export interface PopeReport {
  benchmark: "pope";
  splits: PopeSplitReport[];
  /** The mean of each metric over the splits (how papers summarise POPE). */
  mean: Pick<PopeSplitReport, "accuracy" | "precision" | "recall" | "f1" | "yesRatio">;
}

/**
 * Whether an answer counts as "yes".
 *
 * @example
 * popeSaysYes("Yes, there is a dog in the image.");   // true
 * popeSaysYes("There is no dog.");                      // false
 * popeSaysYes("No.");                                   // false ("No" is a word once the period ends the sentence)
 */
export function popeSaysYes(answer: string): boolean {
  const firstSentence = answer.split(".")[0];
  const words = firstSentence.replaceAll(",", "").split(" ");
  return !(words.includes("No") || words.includes("not") || words.includes("no"));
}

function splitReport(category: string, predictions: readonly boolean[], labels: readonly boolean[]): PopeSplitReport {
  let tp = 0, fp = 0, tn = 0, fn = 0;
  predictions.forEach((yes, i) => {
    if (yes && labels[i]) tp++;
    else if (yes) fp++;
    else if (!labels[i]) tn++;
    else fn++;
  });
  const precision = tp / (tp + fp);
  const recall = tp / (tp + fn);
  return {
    category,
    count: predictions.length,
    tp, fp, tn, fn,
    accuracy: (tp + tn) / (tp + tn + fp + fn),
    precision,
    recall,
    f1: (2 * precision * recall) / (precision + recall),
    yesRatio: predictions.filter((p) => p).length / predictions.length,
  };
}

/**
 * Scores the answers of each split that has a label file. The official script pairs answers
 * and labels by position and silently drops the surplus of the longer list; here unequal
 * counts are an error, since they mean the pairs are wrong.
 *
 * @example
 * const report = scorePope(
 *   { file: "llava_pope_test.jsonl", lines: readLlavaQuestions("llava_pope_test.jsonl") },
 *   { file: "answers.jsonl", lines: readLlavaAnswers("answers.jsonl") },
 *   readPopeLabelSources(["coco/"]),
 * );
 */
export function scorePope(
  questions: QuestionFile,
  answers: AnswerFile,
  splits: readonly PopeLabels[],
): PopeReport {
  const category = new Map<string, unknown>(questions.lines.map((q) => [String(q.value.question_id), q.value.category]));
  for (const { value, line } of answers.lines) {
    if (!category.has(String(value.question_id))) {
      throw new DatasetError(answers.file, `question ${JSON.stringify(value.question_id)} is not in ${questions.file}`, { line });
    }
  }
  const reports = splits.map((split) => {
    const mine = answers.lines.filter((a) => category.get(String(a.value.question_id)) === split.category);
    if (mine.length !== split.labels.length) {
      throw new DatasetError(
        answers.file,
        `split "${split.category}" has ${mine.length} answers here but ${split.labels.length} labels in ${split.file}; ` +
          `POPE pairs them in order, so every question of the split needs its answer (the questions' "category" names the split)`,
      );
    }
    return splitReport(split.category, mine.map((a) => popeSaysYes(a.value.text)), split.labels.map((l) => l !== "no"));
  });
  const avg = (key: keyof PopeReport["mean"]) => mean(reports.map((r) => r[key]));
  return {
    benchmark: "pope",
    splits: reports,
    mean: { accuracy: avg("accuracy"), precision: avg("precision"), recall: avg("recall"), f1: avg("f1"), yesRatio: avg("yesRatio") },
  };
}
