/** Running `vlm` as a user does (a child process) and checking its one-line errors. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const entry = fileURLToPath(new URL("../../src/cli/run.ts", import.meta.url));

export function vlm(args: readonly string[], input?: string): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["--import", "tsx", entry, ...args], { encoding: "utf8", timeout: 120_000, input });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A failed command: exit code 1 and exactly one line on stderr, starting "vlm: ". */
export function assertOneLineError(r: { code: number; stderr: string }, pattern: RegExp): void {
  assert.equal(r.code, 1, `exit code 1 expected, got ${r.code}; stderr: ${r.stderr}`);
  const lines = r.stderr.trim().split("\n");
  assert.equal(lines.length, 1, `one line expected on stderr, got:\n${r.stderr}`);
  assert.match(lines[0], /^vlm: /);
  assert.match(lines[0], pattern);
}
