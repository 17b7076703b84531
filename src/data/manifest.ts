import { stat } from "node:fs/promises";
import { dirname, extname, resolve } from "node:path";
import { Readable } from "node:stream";
import { CsvError, parse } from "csv-parse";
import { DatasetError, NotFoundError } from "../errors.js";
import type { ImageTextSample, IndexedDataset } from "./dataset.js";
import { MAX_LINE_BYTES, manifestText } from "./manifest-text.js";

export type ManifestFormat = "csv" | "tsv" | "jsonl";

export interface ManifestOptions {
  /** Column (CSV/TSV) or field (JSONL) with the image path; open_clip's `--csv-img-key` default. */
  imageKey?: string;
  /**
   * Column or field with the caption; open_clip's `--csv-caption-key` default. Several keys,
   * or a JSONL field holding an array of strings, give a row several captions: training draws
   * one per epoch, evaluation counts each.
   */
  captionKey?: string | readonly string[];
  /** By default from the extension: .csv, .tsv/.tab, .jsonl/.ndjson. */
  format?: ManifestFormat;
  /**
   * Keep only rows whose fields equal these values, e.g. `{ split: "train" }`: held-out splits
   * stored in one manifest (as data/icons does) are read without writing a file per split.
   */
  where?: Readonly<Record<string, string>>;
  /** Column or field with a class name, kept as each sample's `label` (zero-shot evaluation). */
  labelKey?: string;
}

const FORMAT_BY_EXTENSION: Record<string, ManifestFormat> = {
  ".csv": "csv",
  ".tsv": "tsv",
  ".tab": "tsv",
  ".jsonl": "jsonl",
  ".ndjson": "jsonl",
};

/**
 * A manifest held as two string arrays (image path and caption per row), the only columns
 * the loader needs, so a wide manifest with URLs and metadata costs no more than these two.
 */
export class ManifestDataset implements IndexedDataset {
  readonly kind = "indexed";
  readonly file: string;
  private readonly images: string[];
  /** One caption, or a row's several captions. */
  private readonly captions: Array<string | string[]>;
  private readonly labels: string[] | null;
  private readonly root: string;

  constructor(file: string, images: string[], captions: Array<string | string[]>, labels: string[] | null = null) {
    this.file = file;
    this.images = images;
    this.captions = captions;
    this.labels = labels;
    this.root = dirname(resolve(file));
  }

  get size(): number {
    return this.images.length;
  }

  async get(index: number): Promise<ImageTextSample> {
    // The key is the path as written: rows may share an image (COCO has five captions each).
    const key = this.images[index];
    const captions = this.captions[index];
    const sample: ImageTextSample = typeof captions === "string"
      ? { key, image: resolve(this.root, key), caption: captions }
      : { key, image: resolve(this.root, key), caption: captions[0], captions };
    if (this.labels) sample.label = this.labels[index];
    return sample;
  }
}

/**
 * Reads an image-caption manifest: CSV or TSV with a header row (quoted fields may hold the
 * separator, quotes and newlines) or JSON Lines. Relative image paths are resolved against
 * the manifest's folder. A missing column or a row without an image path or caption throws a
 * `DatasetError` naming the file and line.
 *
 * @example
 * const ds = await openManifest("data/cc3m/train.tsv", { imageKey: "filepath", captionKey: "title" });
 * ds.size; await ds.get(0); // { key: "img/0001.jpg", image: "/abs/data/cc3m/img/0001.jpg", caption: "..." }
 */
export async function openManifest(file: string, options: ManifestOptions = {}): Promise<ManifestDataset> {
  const imageKey = options.imageKey ?? "filepath";
  const captionKeys = typeof options.captionKey === "string" ? [options.captionKey] : [...(options.captionKey ?? ["title"])];
  if (captionKeys.length === 0) throw new DatasetError(file, "no caption key given");
  const format = options.format ?? FORMAT_BY_EXTENSION[extname(file).toLowerCase()];
  if (!format) {
    throw new DatasetError(file, `cannot tell the manifest format from the extension; pass format "csv", "tsv" or "jsonl"`);
  }
  const info = await stat(file).catch(() => null);
  if (!info) throw new NotFoundError(`manifest not found: ${file}`);
  if (!info.isFile()) throw new DatasetError(file, info.isDirectory() ? "is a folder, not a manifest file" : "not a regular file");

  const images: string[] = [];
  const captions: Array<string | string[]> = [];
  const labelKey = options.labelKey;
  const labels: string[] | null = labelKey === undefined ? null : [];
  const where = Object.entries(options.where ?? {});
  const keys = [imageKey, ...captionKeys, ...(labelKey === undefined ? [] : [labelKey]), ...where.map(([k]) => k)];
  const add = (record: Record<string, unknown>, line: number): void => {
    // CSV cells are strings; JSONL values are compared by their string form.
    if (where.some(([k, v]) => String(record[k]) !== v)) return;
    const image = record[imageKey];
    if (typeof image !== "string" || image.trim() === "") {
      throw new DatasetError(file, `no image path in "${imageKey}" (got ${JSON.stringify(image)})`, { line });
    }
    const rowCaptions = captionKeys.flatMap((key) => {
      const value = record[key];
      const texts = Array.isArray(value) && value.length > 0 ? value : [value];
      for (const text of texts) {
        if (typeof text !== "string" || text.trim() === "") {
          throw new DatasetError(file, `no caption in "${key}" (got ${JSON.stringify(value)})`, { line });
        }
      }
      return texts as string[];
    });
    let label: unknown;
    if (labelKey !== undefined) {
      label = record[labelKey];
      if (typeof label !== "string" || label.trim() === "") {
        throw new DatasetError(file, `no label in "${labelKey}" (got ${JSON.stringify(label)})`, { line });
      }
    }
    images.push(image);
    captions.push(rowCaptions.length === 1 ? rowCaptions[0] : rowCaptions);
    labels?.push(label as string);
  };
  if (format === "jsonl") await readJsonl(file, keys, add);
  else await readDelimited(file, format === "csv" ? "," : "\t", keys, add);
  return new ManifestDataset(file, images, captions, labels);
}

type AddRow = (record: Record<string, unknown>, line: number) => void;

async function readDelimited(file: string, delimiter: string, keys: readonly string[], add: AddRow): Promise<void> {
  const text = Readable.from(manifestText(file));
  const parser = text.pipe(
    parse({
      delimiter,
      info: true,
      skip_empty_lines: true,
      max_record_size: MAX_LINE_BYTES,
      columns: (header: string[]) => {
        for (const key of keys) {
          if (!header.includes(key)) {
            throw new DatasetError(file, `no column "${key}"; the header has: ${header.join(", ")}`, { line: 1 });
          }
        }
        return header;
      },
    }),
  );
  // pipe() does not carry the source's errors (a decoding error) to the parser.
  text.on("error", (err) => parser.destroy(err));
  // csv-parse reports the line a record ends on; a quoted caption may span several lines,
  // and errors should point at the line the row starts on.
  let lastEnd = 1;
  let lastEmpty = 0;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number; empty_lines: number } }>) {
      const start = lastEnd + (info.empty_lines - lastEmpty) + 1;
      add(record, start);
      lastEnd = info.lines;
      lastEmpty = info.empty_lines;
    }
  } catch (err) {
    if (err instanceof DatasetError) throw err;
    if (err instanceof CsvError) {
      const line = (err as CsvError & { lines?: number }).lines;
      throw new DatasetError(file, `malformed row: ${err.message}`, { line, cause: err });
    }
    throw err;
  }
}

async function readJsonl(file: string, keys: readonly string[], add: AddRow): Promise<void> {
  let line = 0;
  for await (const text of textLines(manifestText(file))) {
    line++;
    if (text.trim() === "") continue;
    let row: unknown;
    try {
      row = JSON.parse(text);
    } catch (err) {
      throw new DatasetError(file, `not valid JSON: ${(err as Error).message}`, { line, cause: err });
    }
    if (typeof row !== "object" || row === null || Array.isArray(row)) {
      throw new DatasetError(file, "expected one JSON object per line", { line });
    }
    const record = row as Record<string, unknown>;
    for (const key of keys) {
      if (!(key in record)) {
        throw new DatasetError(file, `no field "${key}"; the row has: ${Object.keys(record).join(", ")}`, { line });
      }
    }
    add(record, line);
  }
}

/** Lines of a text stream, split at LF with a CR before it dropped (as readline's crlfDelay: Infinity). */
async function* textLines(chunks: AsyncIterable<string>): AsyncGenerator<string> {
  let rest = "";
  for await (const chunk of chunks) {
    const parts = (rest + chunk).split("\n");
    rest = parts.pop()!;
    for (const part of parts) yield part.endsWith("\r") ? part.slice(0, -1) : part;
  }
  if (rest !== "") yield rest.endsWith("\r") ? rest.slice(0, -1) : rest;
}
