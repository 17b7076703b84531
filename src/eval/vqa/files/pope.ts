/**
 * POPE's label files (coco_pope_random.json, coco_pope_popular.json, coco_pope_adversarial.json):
 * JSON Lines of `{"question_id", "image", "text", "label"}`, one file per split.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { z } from "zod";
import { DatasetError, NotFoundError } from "../../../errors.js";
import { readJsonLines } from "./read.js";

export interface PopeLabels {
  /** The split (LLaVA's "category"): the file name without "coco_pope_" and ".json". */
  category: string;
  file: string;
  /** In file order: POPE pairs them with the answers by position. */
  labels: string[];
}

const labelLine = z.looseObject({ label: z.string({ error: 'expected "label": "yes" or "no"' }) });

/** "coco_pope_random.json" -> "random"; other names lose only their extension. */
export function popeCategory(file: string): string {
  const name = basename(file).replace(/\.jsonl?$/, "");
  return name.startsWith("coco_pope_") ? name.slice("coco_pope_".length) : name;
}

export function readPopeLabels(file: string): PopeLabels {
  const labels = readJsonLines(file, labelLine, "POPE labels ({question_id, image, text, label})").map((l) => l.value.label);
  if (labels.length === 0) throw new DatasetError(file, "no labels in this file");
  return { category: popeCategory(file), file, labels };
}

/** Label files from paths; a folder stands for its .json/.jsonl files, by name. */
export function readPopeLabelSources(sources: readonly string[]): PopeLabels[] {
  const files = sources.flatMap((source) => {
    if (!existsSync(source)) throw new NotFoundError(`${source}: no such POPE label file or folder`);
    if (!statSync(source).isDirectory()) return [source];
    const found = readdirSync(source).filter((f) => /\.jsonl?$/.test(f)).sort().map((f) => join(source, f));
    if (found.length === 0) throw new NotFoundError(`${source}: no POPE label files (.json) in this folder`);
    return found;
  });
  const splits = files.map(readPopeLabels);
  const seen = new Map<string, string>();
  for (const s of splits) {
    const other = seen.get(s.category);
    if (other) throw new DatasetError(s.file, `split "${s.category}" is also ${other}; give each split once`);
    seen.set(s.category, s.file);
  }
  return splits;
}
