import { FileFormatError } from "../../errors.js";

/**
 * Which repo files make a loadable model. A Hub repo often holds the same weights several times
 * (safetensors, pytorch_model.bin, flax, onnx...), so fetching everything would multiply the
 * download; this picks config, tokenizer/processor files and one copy of the weights.
 */

/** Small side files a model folder may need; each is fetched when the repo has it. */
export const MODEL_SIDE_FILES = [
  "config.json",
  "generation_config.json",
  "preprocessor_config.json",
  "processor_config.json",
  "chat_template.json",
  "tokenizer.json",
  "tokenizer_config.json",
  "tokenizer.model",
  "special_tokens_map.json",
  "added_tokens.json",
  "vocab.json",
  "merges.txt",
] as const;

// In order of preference: safetensors (no pickle, memory-mappable), then PyTorch pickles only
// for repos that have no safetensors at all.
const WEIGHTS = [
  { file: "model.safetensors", sharded: false },
  { file: "model.safetensors.index.json", sharded: true },
  { file: "pytorch_model.bin", sharded: false },
  { file: "pytorch_model.bin.index.json", sharded: true },
] as const;

export interface SelectOptions {
  /** Exact repo paths, or a pattern tested against every repo path; replaces the model default. */
  files?: readonly string[] | RegExp;
  /** Glob patterns (`*`, `?`, `[...]`, as Python's fnmatch); alone they replace the model default too. */
  allowPatterns?: readonly string[];
}

export interface Selection {
  files: string[];
  /** A weights index whose shards must be added once it is read (see `shardsOf`). */
  shardIndex: string | undefined;
  /** What was asked for but is not available: exact names, or a description of the need. */
  missing: string[];
}

/** fnmatch semantics: `*` also crosses `/`, as huggingface_hub's allow_patterns do. */
export function globToRegExp(glob: string): RegExp {
  let source = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*") source += ".*";
    else if (c === "?") source += ".";
    else if (c === "[") {
      const end = glob.indexOf("]", i + 2);
      if (end < 0) {
        source += "\\[";
        continue;
      }
      let set = glob.slice(i + 1, end).replace(/\\/g, "\\\\");
      if (set.startsWith("!")) set = `^${set.slice(1)}`;
      source += `[${set}]`;
      i = end;
    } else source += c.replace(/[.+^${}()|\\/\]]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}

/** The default selection: side files that exist, plus the preferred weights. */
function modelSelection(available: ReadonlySet<string>): Selection {
  const files: string[] = MODEL_SIDE_FILES.filter((f) => available.has(f));
  const missing: string[] = available.has("config.json") ? [] : ["config.json"];
  const weights = WEIGHTS.find((w) => available.has(w.file));
  if (weights) files.push(weights.file);
  else missing.push(`weights (one of ${WEIGHTS.map((w) => w.file).join(", ")})`);
  return { files, shardIndex: weights?.sharded ? weights.file : undefined, missing };
}

/** Applies the options to the list of repo paths (the Hub's siblings, or a cached snapshot). */
export function selectFiles(available: readonly string[], options: SelectOptions = {}): Selection {
  const set = new Set(available);
  const { files, allowPatterns } = options;
  if (files === undefined && allowPatterns === undefined) return modelSelection(set);

  const chosen = new Set<string>();
  const missing: string[] = [];
  if (Array.isArray(files)) {
    for (const f of files) {
      if (set.has(f)) chosen.add(f);
      else missing.push(f);
    }
  }
  const patterns = [...(files instanceof RegExp ? [files] : []), ...(allowPatterns ?? []).map(globToRegExp)];
  for (const pattern of patterns) {
    const matches = available.filter((f) => pattern.test(f));
    if (matches.length === 0) missing.push(`files matching ${pattern}`);
    for (const f of matches) chosen.add(f);
  }
  return { files: [...chosen], shardIndex: undefined, missing };
}

/**
 * The shard files a `*.index.json` names in `weight_map` (deduplicated, in order), resolved
 * relative to the index's own folder as transformers does.
 */
export function shardsOf(index: unknown, indexFile: string): string[] {
  const map = (index as { weight_map?: unknown } | null)?.weight_map;
  if (typeof map !== "object" || map === null) throw new FileFormatError(indexFile, 'no "weight_map" object');
  const dir = indexFile.includes("/") ? indexFile.slice(0, indexFile.lastIndexOf("/") + 1) : "";
  const shards = new Set<string>();
  for (const [key, value] of Object.entries(map)) {
    if (typeof value !== "string") throw new FileFormatError(indexFile, `weight_map["${key}"] is not a file name`);
    shards.add(dir + value);
  }
  return [...shards];
}
