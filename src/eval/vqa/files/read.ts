/**
 * Reading the evaluation files: JSON and JSON Lines validated with zod, every problem a
 * `DatasetError` that names the file and, for JSON Lines, the 1-based line.
 */
import { existsSync, readFileSync } from "node:fs";
import { z } from "zod";
import { DatasetError, NotFoundError } from "../../../errors.js";

/** A question id as the files write it: COCO's are numbers, GQA's and DocVQA's strings. */
export const questionId = z.union([z.string(), z.number()], { error: "expected a question id (a string or a number)" });
export type QuestionId = z.infer<typeof questionId>;

function issues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join(".") : "(root)"}: ${i.message}`).join("; ");
}

function readText(file: string, what: string): string {
  if (!existsSync(file)) throw new NotFoundError(`${file}: no such ${what} file`);
  return readFileSync(file, "utf8");
}

/** A JSON file checked against `schema`; `what` names the file's role in errors ("VQA annotations"). */
export function readJsonFile<T>(file: string, schema: z.ZodType<T>, what: string): T {
  let json: unknown;
  try {
    json = JSON.parse(readText(file, what));
  } catch (err) {
    if (err instanceof NotFoundError) throw err;
    throw new DatasetError(file, `not valid JSON (${(err as Error).message}); expected ${what}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new DatasetError(file, `not a ${what} file: ${issues(parsed.error)}`);
  return parsed.data;
}

export interface Line<T> {
  value: T;
  /** 1-based line number in the file. */
  line: number;
}

/** A JSON Lines file, one value per non-blank line, each checked against `schema`. */
export function readJsonLines<T>(file: string, schema: z.ZodType<T>, what: string): Array<Line<T>> {
  const out: Array<Line<T>> = [];
  readText(file, what)
    .split("\n")
    .forEach((text, i) => {
      const line = i + 1;
      if (text.trim() === "") return;
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (err) {
        throw new DatasetError(file, `not valid JSON (${(err as Error).message}); each line of ${what} is one JSON object`, { line });
      }
      const parsed = schema.safeParse(json);
      if (!parsed.success) throw new DatasetError(file, `not a line of ${what}: ${issues(parsed.error)}`, { line });
      out.push({ value: parsed.data, line });
    });
  return out;
}
