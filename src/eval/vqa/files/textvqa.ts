/** The TextVQA annotation file (TextVQA_0.5.1_val.json): per question its image, text and ten answers. */
import { z } from "zod";
import { questionId, readJsonFile } from "./read.js";

const entry = z.looseObject({
  image_id: questionId,
  question: z.string(),
  answers: z.array(z.string()),
});

export type TextVqaAnnotation = z.infer<typeof entry>;

export function readTextVqaAnnotations(path: string): TextVqaAnnotation[] {
  return readJsonFile(path, z.looseObject({ data: z.array(entry) }), "TextVQA annotations ({data: [{image_id, question, answers}]})").data;
}
