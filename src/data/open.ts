import { createReadStream } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { extname } from "node:path";
import { createInterface } from "node:readline";
import { DatasetError, NotFoundError } from "../errors.js";
import type { ImageTextDataset } from "./dataset.js";
import { openImageFolder } from "./folder.js";
import { type ManifestOptions, openManifest } from "./manifest.js";
import { openWebDataset } from "./webdataset.js";

export interface OpenDataOptions {
  /** Manifest column with the image path; default the first present of filepath, image, image_path, file, path. */
  imageKey?: string;
  /** Manifest column with the caption; default the first present of title, caption, text. */
  captionKey?: string | readonly string[];
  /** Manifest column with the class name (zero-shot evaluation). */
  labelKey?: string;
  /**
   * Read labels only where there are any: a source that is not a manifest, or a manifest
   * without the `labelKey` column, gives unlabelled samples instead of an error.
   */
  optionalLabel?: boolean;
  /** Manifest rows to keep, e.g. `{ split: "val" }`. Manifests only. */
  where?: Readonly<Record<string, string>>;
}

const IMAGE_KEYS = ["filepath", "image", "image_path", "file", "path"];
const CAPTION_KEYS = ["title", "caption", "text"];
const SHARDS = /\.(tar|tar\.gz|tgz)$/i;

/** The field names of a manifest's first row (JSONL) or header (CSV/TSV). */
async function manifestColumns(file: string): Promise<string[]> {
  const lines = createInterface({ input: createReadStream(file, "utf8"), crlfDelay: Infinity });
  try {
    for await (const raw of lines) {
      const line = raw.replace(/^\uFEFF/, "");
      if (line.trim() === "") continue;
      if (/\.(jsonl|ndjson)$/i.test(file)) {
        try {
          return Object.keys(JSON.parse(line) as object);
        } catch {
          return []; // openManifest reports the bad line with its number
        }
      }
      // A header cell may be quoted; good enough to pick among known names.
      return line.split(/\.csv$/i.test(file) ? "," : "\t").map((c) => c.trim().replace(/^"|"$/g, ""));
    }
    return [];
  } finally {
    lines.close();
  }
}

/**
 * Opens image-caption data by what `source` is: WebDataset shards (a .tar, a brace pattern, or
 * a folder of .tar files), a folder of images with .txt captions, or a CSV/TSV/JSONL manifest
 * whose image and caption columns are found among the usual names unless given.
 *
 * @example
 * const train = await openImageTextData("data/icons/manifest.jsonl", { where: { split: "train" } });
 * const shards = await openImageTextData("shards/{000..009}.tar");
 */
export async function openImageTextData(source: string, options: OpenDataOptions = {}): Promise<ImageTextDataset> {
  const manifestOnly = (what: string): DatasetError =>
    new DatasetError(source, `${what} needs a manifest (CSV, TSV or JSONL); this is not one`);
  const wantsLabel = options.labelKey !== undefined && !options.optionalLabel;
  if (SHARDS.test(source) || source.includes("{")) {
    if (options.where || wantsLabel) throw manifestOnly(options.where ? "filtering rows" : "a label column");
    return openWebDataset(source);
  }
  const info = await stat(source).catch(() => null);
  if (!info) throw new NotFoundError(`data not found: ${source}`);
  if (info.isDirectory()) {
    if (options.where || wantsLabel) throw manifestOnly(options.where ? "filtering rows" : "a label column");
    const names = await readdir(source);
    return names.some((n) => SHARDS.test(n)) ? openWebDataset(source) : openImageFolder(source);
  }
  const columns = [".csv", ".tsv", ".tab", ".jsonl", ".ndjson"].includes(extname(source).toLowerCase()) ? await manifestColumns(source) : [];
  const pick = <T>(given: T | undefined, candidates: string[]): T | string | undefined => given ?? candidates.find((c) => columns.includes(c));
  const manifestOptions: ManifestOptions = {
    imageKey: pick(options.imageKey, IMAGE_KEYS),
    captionKey: pick(options.captionKey, CAPTION_KEYS),
    labelKey: options.optionalLabel && options.labelKey !== undefined && !columns.includes(options.labelKey) ? undefined : options.labelKey,
    where: options.where,
  };
  return openManifest(source, manifestOptions);
}
