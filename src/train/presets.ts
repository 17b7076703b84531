/**
 * Model presets as data (open_clip's model configs in spirit): configs/<family>/<name>.json in
 * the package, each a config.json in the Hugging Face layout of that family. A trainer parses
 * what `readPresetOrFile` returns with its model's config schema.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { ArgumentError, NotFoundError } from "../errors.js";
import { readJson } from "../io/json.js";
import { packageRoot } from "../package-root.js";

function presetDir(family: string): string {
  return join(packageRoot(), "configs", family);
}

/** The preset names of a model family (e.g. "clip"), sorted. */
export function presetNames(family: string): string[] {
  const dir = presetDir(family);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((n) => n.endsWith(".json")).map((n) => n.slice(0, -".json".length)).sort();
}

/**
 * The JSON of preset `spec` of `family`, or of the file `spec` (a path ending in .json), with
 * a name for error messages.
 *
 * @example
 * const { json, source } = readPresetOrFile("clip", "tiny");   // configs/clip/tiny.json
 * parseCLIPConfig(json, source);
 */
export function readPresetOrFile(family: string, spec: string): { json: unknown; source: string } {
  const names = presetNames(family);
  if (names.includes(spec)) return { json: readJson(join(presetDir(family), `${spec}.json`)), source: `preset ${spec}` };
  if (!spec.endsWith(".json")) {
    throw new ArgumentError(`unknown model config "${spec}": use a preset (${names.join(", ")}) or a .json file`);
  }
  if (!existsSync(spec)) throw new NotFoundError(`model config file not found: ${spec}`);
  return { json: readJson(spec), source: spec };
}
