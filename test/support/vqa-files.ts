/** In-memory and temporary evaluation files for the VQA scorer and runner tests. */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/** Rows as a file that was read: each value with its 1-based line number. */
export function linesOf<T>(file: string, values: readonly T[]): { file: string; lines: Array<{ value: T; line: number }> } {
  return { file, lines: values.map((value, i) => ({ value, line: i + 1 })) };
}

/** JSON Lines text of rows. */
export function jsonl(rows: readonly unknown[]): string {
  return rows.map((r) => `${JSON.stringify(r)}\n`).join("");
}

/** A fresh temporary folder holding the given files (name -> text or a value written as JSON). */
export function scratchFiles(prefix: string, files: Record<string, string | object>): string {
  const dir = mkdtempSync(join(tmpdir(), `vlm-${prefix}-`));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), typeof content === "string" ? content : JSON.stringify(content));
  }
  return dir;
}
