/**
 * The golden fixtures in ../shared/reference (beside the project). A user's fresh clone does
 * not have them: tests that need them skip, saying what and why.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join, resolve } from "node:path";

const projectRoot = resolve(fileURLToPath(new URL("../..", import.meta.url)));

export const REFERENCE_DIR = process.env.VLM_REFERENCE_DIR ?? resolve(projectRoot, "../shared/reference");

/** Absolute path of a fixture inside the reference folder. */
export function referencePath(...parts: string[]): string {
  return join(REFERENCE_DIR, ...parts);
}

/** `false` when the fixture is there, otherwise the skip note for node:test's `skip` option. */
export function skipWithoutReference(...parts: string[]): string | false {
  const path = referencePath(...parts);
  return existsSync(path) ? false : `reference fixture ${path} is absent (it ships with CI, not with a clone)`;
}
