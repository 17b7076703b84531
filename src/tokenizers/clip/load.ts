import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { gunzip } from "node:zlib";
import { FileFormatError, NotFoundError } from "../../errors.js";
import { isJsonObject, readJson } from "../../io/json.js";
import { BYTE_CHARS } from "./byte-encoder.js";
import { END_OF_WORD } from "./bpe.js";

/** What a CLIP tokenizer is built from, whatever file format it came in. */
export interface ClipTokenizerFiles {
  /** Token -> id, including `<|startoftext|>` and `<|endoftext|>`. */
  vocab: Map<string, number>;
  /** Merge rules, highest priority first. */
  merges: [string, string][];
  /** Pad id named by the files, if any (HF configs name `<|endoftext|>`). */
  padTokenId?: number;
}

export const SOT_TOKEN = "<|startoftext|>";
export const EOT_TOKEN = "<|endoftext|>";

const ORIGINAL_BPE_FILE = "bpe_simple_vocab_16e6.txt.gz";
// The original keeps merges.txt lines 1 .. 49152-256-2 (line 0 is a header): a vocabulary
// of 49152 - 2 + 256 = 49408 with the byte symbols, their </w> forms and the two specials.
const ORIGINAL_MERGE_COUNT = 49152 - 256 - 2;

/**
 * Read a CLIP vocabulary from a model folder (vocab.json + merges.txt, else tokenizer.json,
 * else the original bpe_simple_vocab_16e6.txt.gz, with the pad token of
 * tokenizer_config.json or special_tokens_map.json) or from one file (`tokenizer.json`,
 * any `*.json` in that format, or the original `*.txt.gz`).
 */
export async function loadClipTokenizerFiles(path: string): Promise<ClipTokenizerFiles> {
  const kind = await pathKind(path);
  if (kind === "missing") throw new NotFoundError(`${path}: no such tokenizer file or folder`);
  if (kind === "file") return loadFile(path);

  const has = async (name: string) => (await pathKind(join(path, name))) === "file";
  let files: ClipTokenizerFiles;
  if ((await has("vocab.json")) && (await has("merges.txt"))) {
    files = await loadVocabAndMerges(join(path, "vocab.json"), join(path, "merges.txt"));
  } else if (await has("tokenizer.json")) {
    files = await loadTokenizerJson(join(path, "tokenizer.json"));
  } else if (await has(ORIGINAL_BPE_FILE)) {
    files = await loadOriginalBpe(join(path, ORIGINAL_BPE_FILE));
  } else if ((await has("vocab.json")) || (await has("merges.txt"))) {
    const missing = (await has("vocab.json")) ? "merges.txt" : "vocab.json";
    throw new NotFoundError(`${join(path, missing)}: missing (vocab.json and merges.txt go together)`);
  } else {
    throw new NotFoundError(
      `${path}: no tokenizer files (looked for vocab.json + merges.txt, tokenizer.json, ${ORIGINAL_BPE_FILE})`,
    );
  }
  for (const name of ["tokenizer_config.json", "special_tokens_map.json"]) {
    if (!(await has(name))) continue;
    const padTokenId = await readPadToken(join(path, name), files.vocab);
    if (padTokenId !== undefined) return { ...files, padTokenId };
  }
  return files;
}

async function loadFile(file: string): Promise<ClipTokenizerFiles> {
  if (file.endsWith(".gz")) return loadOriginalBpe(file);
  if (file.endsWith(".json")) return loadTokenizerJson(file);
  throw new FileFormatError(
    file,
    `not a tokenizer file (expected tokenizer.json, ${ORIGINAL_BPE_FILE}, or a folder with vocab.json + merges.txt)`,
  );
}

async function loadVocabAndMerges(vocabFile: string, mergesFile: string): Promise<ClipTokenizerFiles> {
  const vocab = parseVocab(vocabFile, readJson(vocabFile));
  const lines = (await readFile(mergesFile, "utf8")).split("\n");
  const merges: [string, string][] = [];
  lines.forEach((line, i) => {
    if (line === "" || (i === 0 && line.startsWith("#version"))) return;
    merges.push(parseMerge(mergesFile, line, i + 1));
  });
  return { vocab, merges };
}

async function loadTokenizerJson(file: string): Promise<ClipTokenizerFiles> {
  const json = readJson(file);
  const model = isJsonObject(json) ? json.model : undefined;
  if (!isJsonObject(json) || !isJsonObject(model) || !isJsonObject(model.vocab) || !Array.isArray(model.merges)) {
    throw new FileFormatError(file, "not a tokenizers JSON: needs model.vocab (object) and model.merges (array)");
  }
  if (model.type !== undefined && model.type !== "BPE") {
    throw new FileFormatError(file, `model.type is ${JSON.stringify(model.type)}, CLIP needs "BPE"`);
  }
  if (model.end_of_word_suffix != null && model.end_of_word_suffix !== END_OF_WORD) {
    throw new FileFormatError(
      file,
      `model.end_of_word_suffix is ${JSON.stringify(model.end_of_word_suffix)}, CLIP needs "${END_OF_WORD}"`,
    );
  }
  const vocab = parseVocab(file, model.vocab);
  // The special tokens may live only in added_tokens.
  if (Array.isArray(json.added_tokens)) {
    for (const added of json.added_tokens) {
      if (isJsonObject(added) && typeof added.content === "string" && Number.isInteger(added.id)) {
        if (!vocab.has(added.content)) vocab.set(added.content, added.id as number);
      }
    }
  }
  const merges = model.merges.map((merge: unknown, i: number): [string, string] => {
    if (typeof merge === "string") return parseMerge(file, merge, i + 1);
    if (Array.isArray(merge) && merge.length === 2 && merge.every((s) => typeof s === "string")) {
      return [merge[0], merge[1]];
    }
    throw new FileFormatError(file, `model.merges[${i}] is ${JSON.stringify(merge)}, expected "a b" or ["a", "b"]`);
  });
  const padding = isJsonObject(json.padding) ? json.padding.pad_id : undefined;
  return Number.isInteger(padding) ? { vocab, merges, padTokenId: padding as number } : { vocab, merges };
}

/** The original merges file; the vocabulary is rebuilt exactly as `SimpleTokenizer.__init__`. */
async function loadOriginalBpe(file: string): Promise<ClipTokenizerFiles> {
  let text: string;
  try {
    text = (await promisify(gunzip)(await readFile(file))).toString("utf8");
  } catch (cause) {
    throw new FileFormatError(file, "cannot be gunzipped", { cause });
  }
  const lines = text.split("\n").slice(1, ORIGINAL_MERGE_COUNT + 1);
  if (lines.length < ORIGINAL_MERGE_COUNT) {
    throw new FileFormatError(file, `has ${lines.length} merges, the original CLIP vocabulary needs ${ORIGINAL_MERGE_COUNT}`);
  }
  const merges = lines.map((line, i) => parseMerge(file, line, i + 2));
  const tokens = [
    ...BYTE_CHARS,
    ...BYTE_CHARS.map((c) => c + END_OF_WORD),
    ...merges.map(([a, b]) => a + b),
    SOT_TOKEN,
    EOT_TOKEN,
  ];
  // Later duplicates win, as in the original's dict(zip(vocab, range(len(vocab)))).
  const vocab = new Map(tokens.map((token, id) => [token, id]));
  return { vocab, merges };
}

function parseMerge(file: string, line: string, lineNumber: number): [string, string] {
  const parts = line.split(" ");
  if (parts.length !== 2 || parts[0] === "" || parts[1] === "") {
    throw new FileFormatError(file, `merge ${lineNumber} is ${JSON.stringify(line)}, expected two symbols separated by one space`);
  }
  return [parts[0]!, parts[1]!];
}

function parseVocab(file: string, json: unknown): Map<string, number> {
  if (!isJsonObject(json)) throw new FileFormatError(file, "vocabulary must be a JSON object of token -> id");
  const vocab = new Map<string, number>();
  for (const [token, id] of Object.entries(json)) {
    if (!Number.isInteger(id) || (id as number) < 0) {
      throw new FileFormatError(file, `token ${JSON.stringify(token)} has id ${JSON.stringify(id)}, expected an integer >= 0`);
    }
    vocab.set(token, id as number);
  }
  return vocab;
}

/** The pad token a Hugging Face config names, as an id; undefined if it names none. */
async function readPadToken(file: string, vocab: ReadonlyMap<string, number>): Promise<number | undefined> {
  const json = readJson(file);
  const pad = isJsonObject(json) ? json.pad_token : undefined;
  // Newer configs store tokens as AddedToken objects: { "content": "<|endoftext|>", ... }.
  const token = isJsonObject(pad) ? pad.content : pad;
  if (token === undefined || token === null) return undefined;
  const id = typeof token === "string" ? vocab.get(token) : undefined;
  if (id === undefined) throw new FileFormatError(file, `pad_token ${JSON.stringify(token)} is not in the vocabulary`);
  return id;
}


async function pathKind(path: string): Promise<"file" | "folder" | "missing"> {
  try {
    return (await stat(path)).isDirectory() ? "folder" : "file";
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return "missing";
    throw error;
  }
}
