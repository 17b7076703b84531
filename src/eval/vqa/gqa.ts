/**
 * GQA accuracy as LLaVA computes it: its answers become predictions with the trailing periods
 * stripped and lowercased (scripts/convert_gqa_for_eval.py), and GQA's eval.py (LLaVA's
 * eval_gqa.py) counts exact matches with the answer over the balanced questions, also split
 * into binary and open questions (structural type "query" is open) and by structural and
 * semantic type. Validity, plausibility, consistency and distribution need files LLaVA does
 * not use and are not computed.
 */
import type { GqaQuestion } from "./files/gqa.js";
import type { AnswerFile } from "./files/llava.js";
import { type CoverageOptions, pairWithAnswers } from "./pairs.js";
import { type Accuracy, accuracyBy, mean } from "./summary.js";
import { pyRStrip } from "./text/python-str.js";

export interface GqaItem {
  question_id: string;
  prediction: string;
  answer: string;
  correct: boolean;
}

export interface GqaReport {
  benchmark: "gqa";
  accuracy: number;
  count: number;
  binary: Accuracy;
  open: Accuracy;
  perStructuralType: Record<string, Accuracy>;
  perSemanticType: Record<string, Accuracy>;
  items: GqaItem[];
}

/** An answer as LLaVA's converter turns it into a GQA prediction. */
export function gqaPrediction(text: string): string {
  return pyRStrip(text, ".").toLowerCase();
}

/**
 * @example
 * const report = scoreGqa(readGqaQuestions("testdev_balanced_questions.json"), { file, lines: readLlavaAnswers(file) });
 */
export function scoreGqa(questions: Readonly<Record<string, GqaQuestion>>, answers: AnswerFile, options: CoverageOptions = {}): GqaReport {
  const balanced = Object.entries(questions).filter(([, q]) => q.isBalanced);
  const { pairs } = pairWithAnswers(balanced, ([id]) => id, answers, options.onlyAnswered);
  const scored = pairs.map(({ item: [id, q], answer }) => {
    const prediction = gqaPrediction(answer.text);
    return { q, item: { question_id: id, prediction, answer: q.answer, correct: prediction === q.answer } };
  });
  const score = (s: (typeof scored)[number]) => (s.item.correct ? 1 : 0);
  const kind = accuracyBy(scored, (s) => (s.q.types.structural === "query" ? "open" : "binary"), score);
  return {
    benchmark: "gqa",
    accuracy: mean(scored.map(score)),
    count: scored.length,
    binary: kind.binary ?? { accuracy: NaN, count: 0 },
    open: kind.open ?? { accuracy: NaN, count: 0 },
    perStructuralType: accuracyBy(scored, (s) => s.q.types.structural, score),
    perSemanticType: accuracyBy(scored, (s) => s.q.types.semantic, score),
    items: scored.map((s) => s.item),
  };
}
