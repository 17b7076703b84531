import { ArgumentError } from "../errors.js";
import { Tensor } from "../tensor/tensor.js";
import { writeFileAtomic } from "./atomic.js";
import { type SafetensorsDType, bitsOf, rankOf } from "./dtypes.js";
import { bytesOf, writeAll } from "./files.js";
import { float32ToBf16, float32ToF16 } from "./half.js";

/** How float32 tensors are stored; int32/int64 tensors are always stored as I32/I64. */
export type SaveDType = "F32" | "F16" | "BF16";

export interface SaveOptions {
  /** The header's free-form `__metadata__` string map (e.g. `{ format: "pt" }`). */
  metadata?: Record<string, string>;
  /** Storage type for float32 tensors. Default "F32"; F16/BF16 round to nearest even. */
  dtype?: SaveDType;
}

export type TensorDict = Record<string, Tensor> | Map<string, Tensor>;

// F16/BF16 are encoded through a scratch buffer of this many elements, not a full-size copy.
const CHUNK_ELEMENTS = 1 << 20;

/**
 * Writes tensors in the standard safetensors layout, as the Python reference lays it out:
 * u64 header length, compact JSON header padded with spaces to a multiple of 8, then the data,
 * tensors ordered by dtype width (widest first) then name so every tensor is aligned to its
 * element size. The write is atomic: an existing file is
 * replaced only once the new one is complete and synced.
 *
 * @example
 * saveSafetensors("head.safetensors", { "head.weight": w, "head.bias": b }, { dtype: "F16" });
 */
export function saveSafetensors(path: string, tensors: TensorDict, options: SaveOptions = {}): void {
  const entries = tensorEntries(tensors);
  const dtype = checkSaveDType(options.dtype);
  const metadata = options.metadata === undefined ? undefined : checkMetadata(options.metadata);
  writeFileAtomic(path, (fd) => writeSafetensors(fd, entries, dtype, metadata));
}

/** The dict as [name, tensor] pairs, in its own order, after checking names and values. */
export function tensorEntries(tensors: TensorDict): [string, Tensor][] {
  const entries = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  for (const [name, value] of entries) {
    if (name === "__metadata__") throw new ArgumentError(`"__metadata__" is reserved by safetensors and cannot name a tensor`);
    if (!(value instanceof Tensor)) throw new ArgumentError(`tensor "${name}" is not a Tensor`);
  }
  return entries;
}

export function checkSaveDType(dtype: SaveDType | undefined): SaveDType {
  if (dtype === undefined) return "F32";
  if (dtype !== "F32" && dtype !== "F16" && dtype !== "BF16") {
    throw new ArgumentError(`dtype must be "F32", "F16" or "BF16", got ${JSON.stringify(dtype)}`);
  }
  return dtype;
}

export function checkMetadata(metadata: Record<string, string>): Record<string, string> {
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== "string") throw new ArgumentError(`metadata "${key}" must be a string, got ${typeof value}`);
  }
  return metadata;
}

/** The dtype a tensor is stored as. */
export function storedDType(tensor: Tensor, floatDType: SaveDType): SafetensorsDType {
  if (tensor.dtype === "int32") return "I32";
  if (tensor.dtype === "int64") return "I64";
  return floatDType;
}

/** Bytes a tensor takes in the data section. */
export function storedBytes(tensor: Tensor, floatDType: SaveDType): number {
  return (tensor.size * bitsOf(storedDType(tensor, floatDType))) / 8;
}

/** Serialises checked entries to an open file descriptor. */
export function writeSafetensors(
  fd: number,
  entries: [string, Tensor][],
  floatDType: SaveDType,
  metadata: Record<string, string> | undefined,
): void {
  const planned = entries.map(([name, tensor]) => ({ name, tensor, dtype: storedDType(tensor, floatDType) }));
  planned.sort((a, b) => rankOf(b.dtype) - rankOf(a.dtype) || compareUtf8(a.name, b.name));

  // Built by hand rather than from an object: JS objects list integer-like keys ("0", "1")
  // first, which would break the offset order, and a tensor named "__proto__" would vanish.
  const parts: string[] = [];
  if (metadata) {
    const keys = Object.keys(metadata).sort(compareUtf8);
    parts.push(`"__metadata__":{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(metadata[k])}`).join(",")}}`);
  }
  let offset = 0;
  for (const { name, tensor, dtype } of planned) {
    const end = offset + (tensor.size * bitsOf(dtype)) / 8;
    parts.push(`${JSON.stringify(name)}:${JSON.stringify({ dtype, shape: tensor.shape, data_offsets: [offset, end] })}`);
    offset = end;
  }
  const json = Buffer.from(`{${parts.join(",")}}`, "utf8");
  const padded = Buffer.alloc(8 + json.length + ((8 - (json.length % 8)) % 8), " ");
  padded.writeBigUInt64LE(BigInt(padded.length - 8), 0);
  json.copy(padded, 8);
  writeAll(fd, padded);

  let scratch: Uint16Array | null = null;
  for (const { tensor, dtype } of planned) {
    if (dtype !== "F16" && dtype !== "BF16") {
      writeAll(fd, bytesOf(tensor.data));
      continue;
    }
    const src = tensor.f32("saveSafetensors");
    const encode = dtype === "F16" ? float32ToF16 : float32ToBf16;
    scratch ??= new Uint16Array(CHUNK_ELEMENTS);
    for (let at = 0; at < src.length; at += CHUNK_ELEMENTS) {
      const chunk = scratch.subarray(0, Math.min(CHUNK_ELEMENTS, src.length - at));
      encode(src, at, chunk);
      writeAll(fd, bytesOf(chunk));
    }
  }
}

/** Byte-wise UTF-8 order, as the Rust reference sorts names (JS `<` compares UTF-16 units). */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}
