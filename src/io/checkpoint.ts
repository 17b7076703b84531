/**
 * A model's stored weights, opened but not yet read: safetensors (one file, or the shards of a
 * `model.safetensors.index.json`) are read one tensor at a time as the model asks for them; a
 * PyTorch checkpoint is read whole (a pickle has no index to seek by). Names are the stored
 * ones unless a model renames them (checkpoints name the same weight several ways). Strict: a
 * missing or mis-shaped key throws naming it, and `finish()` rejects keys nothing asked for.
 */
import { existsSync, statSync } from "node:fs";
import { extname, join } from "node:path";
import { FileFormatError, NotFoundError, StateDictError } from "../errors.js";
import { HalfTensor, type Tensor } from "../tensor/index.js";
import { formatShape } from "../tensor/shape.js";
import { type SafetensorsReader, openSafetensors } from "./read.js";
import { INDEX_FILE, SINGLE_FILE, readWeightMap, shardPath } from "./sharded.js";
import { loadTorchCheckpoint } from "./torch/index.js";

/**
 * "auto" (default): F16/BF16 matrices a model reads with `weight()` stay 16-bit in memory (a
 * 7B fp16 model needs ~14 GB, not 28). "float32": everything upcast, e.g. to train.
 */
export type LoadDType = "auto" | "float32";

export interface CheckpointOptions {
  dtype?: LoadDType;
}

/** One weights file as the checkpoint reads it. */
interface TensorFile {
  readonly path: string;
  shape(name: string): readonly number[];
  /** The stored 16-bit bits when the tensor is F16/BF16, else null. */
  readHalf(name: string): HalfTensor | null;
  read(name: string): Tensor;
  close(): void;
}

function safetensorsFile(reader: SafetensorsReader): TensorFile {
  return {
    path: reader.path,
    shape: (name) => reader.info(name).shape,
    readHalf: (name) => {
      const { dtype, shape } = reader.info(name);
      if (dtype !== "F16" && dtype !== "BF16") return null;
      return new HalfTensor(reader.readRaw(name).bytes as Uint16Array, dtype === "F16" ? "f16" : "bf16", shape);
    },
    read: (name) => reader.read(name),
    close: () => reader.close(),
  };
}

/** A PyTorch checkpoint, already upcast to float32 by its reader. */
function torchFile(path: string, tensors: Map<string, Tensor>): TensorFile {
  return {
    path,
    shape: (name) => tensors.get(name)!.shape,
    readHalf: () => null,
    read: (name) => tensors.get(name)!,
    close: () => tensors.clear(),
  };
}

const TORCH_EXTENSIONS = new Set([".pt", ".pth", ".bin", ".ckpt"]);

/** The weights files of a model folder, by preference: safetensors, then PyTorch. */
const FOLDER_WEIGHTS = [SINGLE_FILE, INDEX_FILE, "pytorch_model.bin", "open_clip_pytorch_model.bin"];

/**
 * @example
 * const checkpoint = Checkpoint.open("models/tiny-llama");           // a folder, or one weights file
 * const w = checkpoint.weight("lm_head.weight", [32000, 4096]);      // HalfTensor if stored F16/BF16
 * checkpoint.finish();                                               // throws if a stored key was never read
 */
export class Checkpoint {
  /** Where the weights are: a folder's weights file(s), or the one file given. */
  readonly files: readonly string[];
  readonly dtype: LoadDType;
  private readonly opened: TensorFile[];
  /** Name the model asks for -> [file, stored name]. */
  private byKey = new Map<string, [TensorFile, string]>();
  private readonly used = new Set<string>();

  private constructor(entries: Array<[TensorFile, string[]]>, options: CheckpointOptions) {
    this.dtype = options.dtype ?? "auto";
    this.opened = entries.map(([file]) => file);
    this.files = this.opened.map((file) => file.path);
    for (const [file, names] of entries) for (const name of names) this.byKey.set(name, [file, name]);
  }

  /**
   * Opens a model folder's weights (model.safetensors, the sharded index, else
   * pytorch_model.bin) or one weights file (.safetensors, .index.json, .pt/.pth/.bin/.ckpt).
   */
  static open(path: string, options: CheckpointOptions = {}): Checkpoint {
    if (!existsSync(path)) throw new NotFoundError(`${path}: no such file or folder`);
    if (!statSync(path).isDirectory()) return new Checkpoint(openWeightsFile(path), options);
    const found = FOLDER_WEIGHTS.find((name) => existsSync(join(path, name)));
    if (!found) throw new NotFoundError(`${path}: no weights in this model folder (looked for ${FOLDER_WEIGHTS.join(", ")})`);
    return new Checkpoint(openWeightsFile(join(path, found)), options);
  }

  /**
   * Renames every stored key once, before anything is read: `rename` maps a stored name to the
   * name the model uses (null drops it, e.g. a buffer the model recomputes).
   */
  rename(rename: (stored: string) => string | null): this {
    const renamed = new Map<string, [TensorFile, string]>();
    for (const [key, entry] of this.byKey) {
      const to = rename(key);
      if (to === null) continue;
      const clash = renamed.get(to);
      if (clash) throw new FileFormatError(entry[0].path, `tensors "${clash[1]}" and "${entry[1]}" both name the model's "${to}"`);
      renamed.set(to, entry);
    }
    this.byKey = renamed;
    return this;
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  /** Keys (as renamed) under `prefix`, in stored order. */
  keys(prefix = ""): string[] {
    return [...this.byKey.keys()].filter((k) => k.startsWith(prefix));
  }

  /** A stored tensor's shape, without reading it. */
  shape(key: string): readonly number[] {
    const [file, name] = this.lookup(key);
    return file.shape(name);
  }

  /** Marks a key as accounted for without reading it (a tied copy, a recomputed buffer). */
  skip(key: string): void {
    if (this.byKey.has(key)) this.used.add(key);
  }

  /** The tensor at `key` as float32 (or int32/int64 as stored); with `shape`, checked against it. */
  float32(key: string, shape?: readonly number[]): Tensor {
    const [file, name] = this.take(key, shape);
    return file.read(name);
  }

  /** F16/BF16 kept as 16-bit bits with dtype "auto"; anything else as float32. */
  weight(key: string, shape: readonly number[]): Tensor | HalfTensor {
    const [file, name] = this.take(key, shape);
    return (this.dtype === "auto" ? file.readHalf(name) : null) ?? file.read(name);
  }

  /** Every tensor, as float32, keyed as renamed: for models small enough to convert whole. */
  readAll(): Map<string, Tensor> {
    return new Map(this.keys().map((key) => [key, this.float32(key)]));
  }

  /**
   * The tensors a module's state dict names, read from under `prefix`, each checked against the
   * module's shape: `module.loadStateDict(checkpoint.stateDictFor(module.stateDict(), "vision_tower."))`.
   */
  stateDictFor(like: ReadonlyMap<string, { shape: readonly number[] }>, prefix = ""): Map<string, Tensor> {
    return new Map([...like].map(([key, t]) => [key, this.float32(prefix + key, t.shape)]));
  }

  /** Runs `build`, then `finish()`es; the files are closed either way. */
  consume<T>(build: (checkpoint: this) => T): T {
    try {
      const built = build(this);
      this.finish();
      return built;
    } finally {
      this.close();
    }
  }

  /** Closes the files; throws a StateDictError when a stored tensor was never asked for (a wrong architecture or config). */
  finish(): void {
    this.close();
    const unexpected = [...this.byKey.keys()].filter((k) => !this.used.has(k));
    if (unexpected.length) throw new StateDictError([], unexpected, []);
  }

  close(): void {
    for (const file of this.opened.splice(0)) file.close();
  }

  private lookup(key: string): [TensorFile, string] {
    const found = this.byKey.get(key);
    if (!found) throw new StateDictError([key], [], []);
    return found;
  }

  /** The entry of a key the model reads, checked against the shape it expects; marks it used. */
  private take(key: string, shape?: readonly number[]): [TensorFile, string] {
    const found = this.lookup(key);
    if (shape) {
      const stored = found[0].shape(found[1]);
      if (stored.length !== shape.length || stored.some((d, i) => d !== shape[i])) {
        throw new StateDictError([], [], [`${key}: expected ${formatShape(shape)}, got ${formatShape(stored)} (${found[0].path})`]);
      }
    }
    this.used.add(key);
    return found;
  }
}

/** The files behind one weights path, each with the names it contributes. */
function openWeightsFile(path: string): Array<[TensorFile, string[]]> {
  if (path.endsWith(".index.json")) return openShards(path);
  const ext = extname(path).toLowerCase();
  if (ext === ".safetensors") {
    const reader = openSafetensors(path);
    return [[safetensorsFile(reader), reader.names()]];
  }
  if (TORCH_EXTENSIONS.has(ext)) {
    const tensors = loadTorchCheckpoint(path);
    return [[torchFile(path, tensors), [...tensors.keys()]]];
  }
  throw new FileFormatError(path, `unknown weights format "${ext}" (expected .safetensors, .pt, .pth or .bin)`);
}

/** The shards of a sharded safetensors checkpoint; the index is the source of truth, as in transformers. */
function openShards(indexPath: string): Array<[TensorFile, string[]]> {
  const byShard = new Map<string, string[]>();
  for (const [name, shard] of Object.entries(readWeightMap(indexPath))) {
    byShard.set(shard, [...(byShard.get(shard) ?? []), name]);
  }
  const files: Array<[TensorFile, string[]]> = [];
  try {
    for (const [shard, names] of byShard) {
      const reader = openSafetensors(shardPath(indexPath, shard, names[0]));
      files.push([safetensorsFile(reader), names]);
      for (const name of names) {
        if (!(name in reader.header.tensors)) {
          throw new FileFormatError(indexPath, `tensor "${name}" is mapped to shard "${shard}", which does not contain it`);
        }
      }
    }
  } catch (err) {
    for (const [file] of files) file.close();
    throw err;
  }
  return files;
}
