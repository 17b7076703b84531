/**
 * A model folder's safetensors weights (one file or shards), read one tensor at a time as the
 * model is built, under names the caller chooses (checkpoints name the same weight several
 * ways). Strict: a missing or mis-shaped key throws naming it, and `finish()` rejects keys no
 * layer asked for.
 */
import { existsSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { FileFormatError, NotFoundError, StateDictError } from "../../errors.js";
import { type SafetensorsReader, openSafetensors } from "../../io/index.js";
import { HalfTensor, type Tensor } from "../../tensor/index.js";
import type { Init, ParamSource, Weight } from "./weights.js";

export type LoadDType = "auto" | "float32";

export function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new NotFoundError(`${file}: no such file`);
    throw err;
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new FileFormatError(file, `not valid JSON: ${(err as Error).message}`, { cause: err });
  }
}

export class Checkpoint implements ParamSource {
  private readonly readers: SafetensorsReader[] = [];
  /** Name the model asks for -> [reader, name in the file]. */
  private readonly byKey = new Map<string, [SafetensorsReader, string]>();
  private readonly used = new Set<string>();
  readonly dtype: LoadDType;
  readonly folder: string;

  /**
   * Opens `folder`'s model.safetensors or sharded index. `rename` maps a stored name to the
   * name the model uses (null: drop it, e.g. buffers the model recomputes).
   */
  constructor(folder: string, options: { dtype?: LoadDType; rename?: (stored: string) => string | null } = {}) {
    this.folder = folder;
    this.dtype = options.dtype ?? "auto";
    const rename = options.rename ?? ((name: string) => name);
    for (const [reader, names] of this.open(folder)) {
      for (const name of names) {
        const key = rename(name);
        if (key !== null) this.byKey.set(key, [reader, name]);
      }
    }
  }

  private open(folder: string): Array<[SafetensorsReader, string[]]> {
    const single = join(folder, "model.safetensors");
    if (existsSync(single)) {
      const reader = openSafetensors(single);
      this.readers.push(reader);
      return [[reader, reader.names()]];
    }
    const index = join(folder, "model.safetensors.index.json");
    if (!existsSync(index)) throw new NotFoundError(`${folder}: no model.safetensors or model.safetensors.index.json in this folder`);
    const weightMap = (readJson(index) as { weight_map?: Record<string, unknown> } | null)?.weight_map;
    if (typeof weightMap !== "object" || weightMap === null) throw new FileFormatError(index, `needs a "weight_map" object`);
    const byShard = new Map<string, string[]>();
    for (const [name, shard] of Object.entries(weightMap)) {
      // A shard is a file beside the index, never a path elsewhere.
      if (typeof shard !== "string" || basename(shard) !== shard) throw new FileFormatError(index, `tensor "${name}": bad shard name ${JSON.stringify(shard)}`);
      byShard.set(shard, [...(byShard.get(shard) ?? []), name]);
    }
    return [...byShard].map(([shard, names]) => {
      const reader = openSafetensors(join(folder, shard));
      this.readers.push(reader);
      for (const name of names) reader.info(name);
      return [reader, names];
    });
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  /** Keys (as renamed) under `prefix`. */
  keys(prefix = ""): string[] {
    return [...this.byKey.keys()].filter((k) => k.startsWith(prefix));
  }

  /** Marks a key as accounted for without reading it (a tied copy, a recomputed buffer). */
  skip(key: string): void {
    if (this.byKey.has(key)) this.used.add(key);
  }

  private locate(key: string, shape: readonly number[]): [SafetensorsReader, string] {
    const found = this.byKey.get(key);
    if (!found) throw new StateDictError([key], [], []);
    const stored = found[0].info(found[1]).shape;
    if (stored.length !== shape.length || stored.some((d, i) => d !== shape[i])) {
      throw new StateDictError([], [], [`${key}: expected [${shape}], got [${stored}] (${found[0].path})`]);
    }
    this.used.add(key);
    return found;
  }

  /** Float32 (converted from whatever is stored). */
  float32(key: string, shape: readonly number[], _init?: Init): Tensor {
    const [reader, name] = this.locate(key, shape);
    return reader.read(name);
  }

  /** F16/BF16 kept as 16-bit bits with dtype "auto"; anything else as float32. */
  weight(key: string, shape: readonly number[], _init?: Init): Weight {
    const [reader, name] = this.locate(key, shape);
    const stored = reader.info(name).dtype;
    if (this.dtype === "auto" && (stored === "F16" || stored === "BF16")) {
      return new HalfTensor(reader.readRaw(name).bytes as Uint16Array, stored === "F16" ? "f16" : "bf16", shape);
    }
    return reader.read(name);
  }

  /** Throws when a stored tensor was never asked for (a wrong architecture or config); closes the files. */
  finish(): void {
    this.close();
    const unexpected = [...this.byKey.keys()].filter((k) => !this.used.has(k));
    if (unexpected.length) throw new StateDictError([], unexpected, []);
  }

  close(): void {
    for (const r of this.readers.splice(0)) r.close();
  }
}
