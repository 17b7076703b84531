/**
 * Reading the JSON files of model folders (config.json, tokenizer_config.json, index files):
 * every failure is a named error that says which file.
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { FileFormatError, NotFoundError } from "../errors.js";

/**
 * A JSON file's value. A missing file is a NotFoundError, unreadable JSON a FileFormatError,
 * each naming the file.
 *
 * @example
 * const config = readJson("models/icons-clip/config.json");
 */
export function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new NotFoundError(`${file}: no such file`);
    throw err;
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new FileFormatError(file, `not valid JSON: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * A JSON file that must hold an object (as every Hugging Face config does).
 *
 * @example
 * const { model_type } = readJsonObject("models/icons-clip/config.json");
 */
export function readJsonObject(file: string): Record<string, unknown> {
  const value = readJson(file);
  if (!isJsonObject(value)) throw new FileFormatError(file, `expected a JSON object (${basename(file)})`);
  return value;
}

export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
