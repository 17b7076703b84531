/**
 * TextVQA accuracy as LLaVA scores it (llava/eval/eval_textvqa.py with m4c_evaluator.py's
 * TextVQAAccuracyEvaluator): each answer line is matched to its annotation by image id (LLaVA's
 * TextVQA question ids are image ids) and question text (read back out of the prompt,
 * lowercased); the answer and the ten human answers go through the EvalAI processor, and the
 * answer scores the mean over the ten leave-one-out subsets of min(#matches / 3, 1).
 */
import { DatasetError } from "../../errors.js";
import type { AnswerFile } from "./files/llava.js";
import type { TextVqaAnnotation } from "./files/textvqa.js";
import { mean } from "./summary.js";
import { evalAiAnswer } from "./text/vqa-answer.js";

export interface TextVqaItem {
  question_id: string | number;
  question: string;
  answer: string;
  accuracy: number;
}

export interface TextVqaReport {
  benchmark: "textvqa";
  accuracy: number;
  count: number;
  items: TextVqaItem[];
}

const OCR_QUESTION = /Question: (.*?) Short answer:/s;

/**
 * The question inside a LLaVA TextVQA prompt, as eval_textvqa.py's prompt_processor finds it
 * (its three prompt layouts); a one-line prompt is taken whole (the official script rejects
 * those, so no official score changes). Null when the prompt fits none.
 */
export function textVqaPromptQuestion(prompt: string): string | null {
  const lines = prompt.split("\n");
  let question: string | undefined;
  if (prompt.startsWith("OCR tokens: ")) question = OCR_QUESTION.exec(prompt)?.[1];
  else if (prompt.includes("Reference OCR token: ") && lines.length === 3) question = prompt.startsWith("Reference OCR token:") ? lines[1] : lines[0];
  else if (lines.length === 2 || lines.length === 1) question = lines[0];
  return question === undefined ? null : question.toLowerCase();
}

/** TextVQA's soft score of an answer already processed, against the raw human answers. */
export function textVqaAccuracy(answer: string, humanAnswers: readonly string[]): number {
  const humans = humanAnswers.map(evalAiAnswer);
  const perSubset = humans.map((_, left) => Math.min(1, humans.filter((h, i) => i !== left && h === answer).length / 3));
  return mean(perSubset);
}

/**
 * Scores LLaVA-format TextVQA answers (every line must find its annotation).
 *
 * @example
 * const report = scoreTextVqa(readTextVqaAnnotations("TextVQA_0.5.1_val.json"), { file, lines: readLlavaAnswers(file) });
 */
export function scoreTextVqa(
  annotations: readonly TextVqaAnnotation[],
  answers: AnswerFile,
): TextVqaReport {
  // Keyed as the official script keys them; a repeated (image, question) keeps the last entry.
  const byKey = new Map(annotations.map((a) => [JSON.stringify([String(a.image_id), a.question.toLowerCase()]), a]));
  const items = answers.lines.map(({ value, line }) => {
    const question = textVqaPromptQuestion(value.prompt ?? "");
    if (question === null) {
      throw new DatasetError(answers.file, `cannot find the question in the prompt ${JSON.stringify(value.prompt ?? null)} (LLaVA's TextVQA prompts are "question\\n..." lines)`, { line });
    }
    const annotation = byKey.get(JSON.stringify([String(value.question_id), question]));
    if (!annotation) throw new DatasetError(answers.file, `no annotation has image_id ${JSON.stringify(value.question_id)} and question ${JSON.stringify(question)}`, { line });
    if (annotation.answers.length !== 10) {
      throw new DatasetError(answers.file, `the annotation of image ${JSON.stringify(value.question_id)}, question ${JSON.stringify(question)} has ${annotation.answers.length} answers; TextVQA's score needs 10`, { line });
    }
    const answer = evalAiAnswer(value.text);
    return { question_id: value.question_id, question, answer, accuracy: textVqaAccuracy(answer, annotation.answers) };
  });
  return { benchmark: "textvqa", accuracy: mean(items.map((i) => i.accuracy)), count: items.length, items };
}
