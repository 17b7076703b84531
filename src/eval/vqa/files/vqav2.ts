/**
 * The VQA v2 annotation file (v2_mscoco_val2014_annotations.json): per question its type, its
 * answer type and the ten answers the annotators gave.
 */
import { z } from "zod";
import { questionId, readJsonFile } from "./read.js";

const humanAnswer = z.looseObject({
  answer: z.string(),
  answer_confidence: z.string().optional(),
  answer_id: z.number().optional(),
});

const annotation = z.looseObject({
  question_id: questionId,
  question_type: z.string(),
  answer_type: z.string(),
  answers: z.array(humanAnswer).min(1, "expected at least one human answer"),
});

const file = z.looseObject({ annotations: z.array(annotation) });

export type VqaHumanAnswer = z.infer<typeof humanAnswer>;
export type VqaAnnotation = z.infer<typeof annotation>;

export function readVqaAnnotations(path: string): VqaAnnotation[] {
  return readJsonFile(path, file, "VQA annotations ({annotations: [{question_id, question_type, answer_type, answers}]})").annotations;
}
