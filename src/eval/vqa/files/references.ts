/**
 * Reference answers for the benchmarks scored by comparing with a list of answers (DocVQA,
 * ChartQA, multiple choice). Read from DocVQA's own file (`{"data": [{"questionId",
 * "answers", ...}]}`), a JSON array, or JSON Lines, one question per record:
 * - its id: "question_id" or "questionId" (matching the answer file's question_id);
 * - its answers: "answers" (a list), "answer" (one, or a list) or "label" (ChartQA's name);
 * - for multiple choice, "options": the choices in order (A, B, C, ...);
 * - optionally a group to report separately: "category", "split" or "type".
 */
import { extname } from "node:path";
import { z } from "zod";
import { DatasetError } from "../../../errors.js";
import { type QuestionId, questionId, readJsonFile, readJsonLines } from "./read.js";

const value = z.union([z.string(), z.number()]);

const record = z
  .looseObject({
    question_id: questionId.optional(),
    questionId: questionId.optional(),
    answers: z.array(value).optional(),
    answer: z.union([value, z.array(value)]).optional(),
    label: value.optional(),
    options: z.array(z.string()).optional(),
    category: z.string().optional(),
    split: z.string().optional(),
    type: z.string().optional(),
  })
  .refine((r) => r.question_id !== undefined || r.questionId !== undefined, { message: 'expected "question_id" (or "questionId")' })
  .refine((r) => r.answers !== undefined || r.answer !== undefined || r.label !== undefined, { message: 'expected "answers", "answer" or "label"' });

type ReferenceRecord = z.infer<typeof record>;

export interface Reference {
  id: QuestionId;
  /** As written: strings, or numbers (which multiple choice reads as 0-based option indices). */
  answers: Array<string | number>;
  options?: string[];
  group?: string;
  /** Where it was read, for errors: "file:line" or "file data[i]". */
  source: string;
}

function toReference(r: ReferenceRecord, source: string): Reference {
  const answers = r.answers ?? (Array.isArray(r.answer) ? r.answer : r.answer !== undefined ? [r.answer] : [r.label!]);
  return { id: (r.question_id ?? r.questionId)!, answers, options: r.options, group: r.category ?? r.split ?? r.type, source };
}

/**
 * @example
 * readReferences("val_v1.0.json");          // DocVQA's file
 * readReferences("chartqa_test.jsonl");     // {"question_id": 7, "label": "62", "split": "human"} per line
 */
export function readReferences(file: string): Reference[] {
  const what = "reference answers ({question_id, answers | answer | label, options?, category?})";
  const references =
    [".jsonl", ".ndjson"].includes(extname(file).toLowerCase())
      ? readJsonLines(file, record, what).map((l) => toReference(l.value, `${file}:${l.line}`))
      : (() => {
          const json = readJsonFile(file, z.union([z.array(record), z.looseObject({ data: z.array(record) })]), what);
          return (Array.isArray(json) ? json : json.data).map((r, i) => toReference(r, `${file} data[${i}]`));
        })();
  if (references.length === 0) throw new DatasetError(file, "no reference answers in this file");
  const seen = new Map<string, string>();
  for (const r of references) {
    const other = seen.get(String(r.id));
    if (other) throw new DatasetError(file, `question ${JSON.stringify(r.id)} appears twice (${other} and ${r.source})`);
    seen.set(String(r.id), r.source);
  }
  return references;
}
