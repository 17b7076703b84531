import { writeFileSync } from "node:fs";

/** Writes a command's result as pretty JSON where `--json <file>` asked for it. */
export function writeJson(path: string | undefined, value: unknown): void {
  if (path) writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}
