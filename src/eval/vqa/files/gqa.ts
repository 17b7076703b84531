/**
 * GQA's question files (e.g. testdev_balanced_questions.json): an object from question id to
 * the question, its answer, whether it is in the balanced set and its types.
 */
import { z } from "zod";
import { readJsonFile } from "./read.js";

const question = z.looseObject({
  answer: z.string(),
  isBalanced: z.boolean(),
  types: z.looseObject({ structural: z.string(), semantic: z.string() }),
});

export type GqaQuestion = z.infer<typeof question>;

export function readGqaQuestions(path: string): Record<string, GqaQuestion> {
  return readJsonFile(path, z.record(z.string(), question), "GQA questions ({id: {answer, isBalanced, types}})");
}
