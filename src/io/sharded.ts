import { existsSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { ArgumentError, FileFormatError, NotFoundError } from "../errors.js";
import type { Tensor } from "../tensor/tensor.js";
import { writeFileAtomic } from "./atomic.js";
import { readJson } from "./json.js";
import { writeAll } from "./files.js";
import { type LoadOptions, type SafetensorsReader, loadSafetensors, openSafetensors } from "./read.js";
import {
  type SaveOptions, type TensorDict, checkMetadata, checkSaveDType, storedBytes, tensorEntries, writeSafetensors,
} from "./write.js";

export const SINGLE_FILE = "model.safetensors";
export const INDEX_FILE = "model.safetensors.index.json";

export interface ShardedSaveOptions extends SaveOptions {
  /** Start a new shard before one would pass this many data bytes (a bigger tensor gets a shard of its own). */
  maxShardBytes: number;
}

/**
 * Loads a sharded checkpoint from its `*.safetensors.index.json`. Every shard header is
 * validated, and every tensor the index lists checked against its shard, before any tensor
 * data is read. The index is the source of truth: tensors a shard holds but the index does
 * not list are not loaded (as in transformers).
 *
 * @example
 * const weights = loadSafetensorsSharded("llava/model.safetensors.index.json");
 */
export function loadSafetensorsSharded(indexPath: string, options: LoadOptions = {}): Map<string, Tensor> {
  const weightMap = readWeightMap(indexPath);
  const names = options.names ? [...options.names] : Object.keys(weightMap);
  for (const name of names) {
    if (!Object.hasOwn(weightMap, name)) throw new NotFoundError(`${indexPath}: no tensor "${name}" in the weight map`);
  }

  const readers = new Map<string, SafetensorsReader>();
  try {
    for (const name of names) {
      const shard = weightMap[name];
      let reader = readers.get(shard);
      if (!reader) {
        reader = openSafetensors(shardPath(indexPath, shard, name));
        readers.set(shard, reader);
      }
      if (!(name in reader.header.tensors)) {
        throw new FileFormatError(indexPath, `tensor "${name}" is mapped to shard "${shard}", which does not contain it`);
      }
    }
    return new Map(names.map((name) => [name, readers.get(weightMap[name])!.read(name)]));
  } finally {
    for (const reader of readers.values()) reader.close();
  }
}

/** Tensor name -> shard file, from a `*.safetensors.index.json`, checked. */
export function readWeightMap(indexPath: string): Record<string, string> {
  const weightMap = (readJson(indexPath) as { weight_map?: unknown } | null)?.weight_map;
  if (typeof weightMap !== "object" || weightMap === null || Array.isArray(weightMap)) {
    throw new FileFormatError(indexPath, `needs a "weight_map" object of tensor name -> shard file`);
  }
  for (const [name, shard] of Object.entries(weightMap)) {
    if (typeof shard !== "string") throw new FileFormatError(indexPath, `tensor "${name}": shard must be a file name, got ${JSON.stringify(shard)}`);
  }
  return weightMap as Record<string, string>;
}

/** Resolves a shard next to its index, refusing names that would leave that folder. */
export function shardPath(indexPath: string, shard: string, tensor: string): string {
  const dir = dirname(resolve(indexPath));
  const path = resolve(dir, shard);
  const rel = relative(dir, path);
  if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) {
    throw new FileFormatError(indexPath, `tensor "${tensor}": shard "${shard}" is not a file inside the index's folder`);
  }
  if (!existsSync(path)) {
    throw new FileFormatError(indexPath, `tensor "${tensor}": shard "${shard}" does not exist (looked for ${path})`);
  }
  return path;
}

/**
 * Writes `model-00001-of-0000N.safetensors` shards and `model.safetensors.index.json` into
 * `dir`, as transformers does: tensors fill shards in the dict's order. Each file is written
 * atomically and the index last, so the index never names a shard that is not complete.
 * Shards of an earlier save with another shard count are left in place (the new index does
 * not reference them).
 *
 * @example
 * saveSafetensorsSharded("out/", model.stateDict(), { maxShardBytes: 2e9 });
 */
export function saveSafetensorsSharded(dir: string, tensors: TensorDict, options: ShardedSaveOptions): void {
  const { maxShardBytes } = options;
  if (!(maxShardBytes > 0)) throw new ArgumentError(`maxShardBytes must be a positive number, got ${maxShardBytes}`);
  const entries = tensorEntries(tensors);
  const dtype = checkSaveDType(options.dtype);
  const metadata = options.metadata === undefined ? undefined : checkMetadata(options.metadata);

  const shards: [string, Tensor][][] = [];
  let current: [string, Tensor][] = [];
  let currentBytes = 0;
  let totalSize = 0;
  for (const entry of entries) {
    const bytes = storedBytes(entry[1], dtype);
    if (current.length > 0 && currentBytes + bytes > maxShardBytes) {
      shards.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(entry);
    currentBytes += bytes;
    totalSize += bytes;
  }
  shards.push(current);

  const pad = (i: number) => String(i).padStart(5, "0");
  const weightMap: Record<string, string> = {};
  shards.forEach((shard, i) => {
    const file = `model-${pad(i + 1)}-of-${pad(shards.length)}.safetensors`;
    writeFileAtomic(join(dir, file), (fd) => writeSafetensors(fd, shard, dtype, metadata));
    for (const [name] of shard) weightMap[name] = file;
  });

  const sortedMap = Object.fromEntries(Object.keys(weightMap).sort().map((name) => [name, weightMap[name]]));
  const index = `${JSON.stringify({ metadata: { total_size: totalSize }, weight_map: sortedMap }, null, 2)}\n`;
  writeFileAtomic(join(dir, INDEX_FILE), (fd) => writeAll(fd, Buffer.from(index, "utf8")));
}

/**
 * Loads the weights of a model folder (`model.safetensors`, else the sharded index), or of a
 * `.safetensors` file or `.index.json` given directly.
 *
 * @example
 * const weights = loadWeights("models/clip-tiny");
 */
export function loadWeights(pathOrDir: string, options: LoadOptions = {}): Map<string, Tensor> {
  if (!existsSync(pathOrDir)) throw new NotFoundError(`${pathOrDir}: no such file or folder`);
  if (!statSync(pathOrDir).isDirectory()) {
    return pathOrDir.endsWith(".index.json") ? loadSafetensorsSharded(pathOrDir, options) : loadSafetensors(pathOrDir, options);
  }
  const single = join(pathOrDir, SINGLE_FILE);
  if (existsSync(single)) return loadSafetensors(single, options);
  const index = join(pathOrDir, INDEX_FILE);
  if (existsSync(index)) return loadSafetensorsSharded(index, options);
  throw new NotFoundError(`${pathOrDir}: no ${SINGLE_FILE} or ${INDEX_FILE} in this folder`);
}
