import { closeSync, fstatSync } from "node:fs";
import { FileFormatError } from "../errors.js";
import { SAFETENSORS_DTYPES, type SafetensorsDType, bitsOf, isSafetensorsDType } from "./dtypes.js";
import { openForRead, readExactly } from "./files.js";

/** The reference implementation's limit; a larger length is corruption or an attack. */
export const MAX_HEADER_BYTES = 100_000_000;

export interface TensorInfo {
  dtype: SafetensorsDType;
  shape: number[];
  /** Byte range [begin, end) relative to the start of the data section. */
  dataOffsets: [number, number];
}

export interface SafetensorsHeader {
  /** Tensor name -> info, in file (offset) order; a prototype-less object, so any name is safe. */
  tensors: Record<string, TensorInfo>;
  /** The free-form `__metadata__` string map ({} when absent). */
  metadata: Record<string, string>;
  /** Absolute file offset of the data section: 8 + header length. */
  dataStart: number;
}

/**
 * Reads and validates the header of a `.safetensors` file without touching tensor data.
 *
 * @example
 * const { tensors } = readSafetensorsHeader("model.safetensors");
 * tensors["visual_projection.weight"]; // { dtype: "F32", shape: [64, 128], dataOffsets: [..] }
 */
export function readSafetensorsHeader(path: string): SafetensorsHeader {
  const fd = openForRead(path);
  try {
    return readHeaderFrom(fd, path);
  } finally {
    closeSync(fd);
  }
}

/** Reads and validates the header from an open file. */
export function readHeaderFrom(fd: number, file: string): SafetensorsHeader {
  const fileSize = fstatSync(fd).size;
  if (fileSize < 8) {
    throw new FileFormatError(file, `file is ${fileSize} bytes, shorter than the 8-byte header length field (truncated or not a safetensors file)`);
  }
  const lengthField = new Uint8Array(8);
  readExactly(fd, file, lengthField, 0, "header length");
  const length = new DataView(lengthField.buffer).getBigUint64(0, true);
  if (length > BigInt(MAX_HEADER_BYTES)) {
    throw new FileFormatError(file, `header length ${length} exceeds the ${MAX_HEADER_BYTES}-byte limit (corrupt or not a safetensors file)`);
  }
  const n = Number(length);
  if (8 + n > fileSize) {
    throw new FileFormatError(file, `header length ${n} runs past the end of the ${fileSize}-byte file (truncated?)`);
  }
  const json = new Uint8Array(n);
  readExactly(fd, file, json, 8, "header");
  return parseSafetensorsHeader(file, json, 8 + n, fileSize - 8 - n);
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Validates header bytes against the format's rules (those of the reference implementation):
 * every entry well-typed with a known dtype; byte length = product(shape) * item size; and
 * the tensors, sorted by offset, tile the data section exactly, with no overlap, no gap and
 * no trailing bytes (the rule that keeps a file from hiding a second payload).
 */
export function parseSafetensorsHeader(file: string, json: Uint8Array, dataStart: number, dataSize: number): SafetensorsHeader {
  let text: string;
  try {
    text = UTF8.decode(json);
  } catch (error) {
    throw new FileFormatError(file, "header is not valid UTF-8", { cause: error });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new FileFormatError(file, `header is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  if (!isPlainObject(raw)) {
    throw new FileFormatError(file, `header must be a JSON object, got ${describe(raw)}`);
  }

  const metadata = parseMetadata(file, raw.__metadata__);
  const entries: [string, TensorInfo][] = [];
  for (const [name, value] of Object.entries(raw)) {
    if (name === "__metadata__") continue;
    entries.push([name, parseEntry(file, name, value, dataSize)]);
  }

  // JSON.parse keeps the last of duplicate keys; the dropped entry's bytes then show up below
  // as a gap, so duplicates are still rejected.
  entries.sort(([, a], [, b]) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1]);
  let cursor = 0;
  let previous = "";
  for (const [name, { dataOffsets: [begin, end] }] of entries) {
    if (begin < cursor) {
      throw new FileFormatError(file, `tensor "${name}": bytes [${begin}, ${end}) overlap tensor "${previous}", which ends at ${cursor}`);
    }
    if (begin > cursor) {
      throw new FileFormatError(file, `tensor "${name}": bytes [${cursor}, ${begin}) before it belong to no tensor (the data section must have no gaps)`);
    }
    cursor = end;
    previous = name;
  }
  if (cursor !== dataSize) {
    const after = entries.length ? `after the last tensor "${previous}"` : "but the header lists no tensors";
    throw new FileFormatError(file, `${dataSize - cursor} trailing bytes of the data section ${after} belong to no tensor`);
  }

  const tensors: Record<string, TensorInfo> = Object.create(null);
  for (const [name, info] of entries) tensors[name] = info;
  return { tensors, metadata, dataStart };
}

function parseMetadata(file: string, value: unknown): Record<string, string> {
  const metadata: Record<string, string> = Object.create(null);
  // The reference reads `__metadata__` as an optional map, so null means absent.
  if (value === undefined || value === null) return metadata;
  if (!isPlainObject(value)) {
    throw new FileFormatError(file, `"__metadata__" must be an object of strings, got ${describe(value)}`);
  }
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== "string") {
      throw new FileFormatError(file, `"__metadata__" must be an object of strings, key "${key}" holds ${describe(v)}`);
    }
    metadata[key] = v;
  }
  return metadata;
}

function parseEntry(file: string, name: string, value: unknown, dataSize: number): TensorInfo {
  const fail = (message: string) => new FileFormatError(file, `tensor "${name}": ${message}`);
  if (!isPlainObject(value)) throw fail(`entry must be an object with dtype, shape and data_offsets, got ${describe(value)}`);
  const { dtype, shape, data_offsets: offsets } = value;

  if (dtype === undefined) throw fail(`missing "dtype"`);
  if (typeof dtype !== "string") throw fail(`"dtype" must be a string, got ${describe(dtype)}`);
  if (!isSafetensorsDType(dtype)) throw fail(`unknown dtype "${dtype}" (known: ${SAFETENSORS_DTYPES.join(", ")})`);

  if (shape === undefined) throw fail(`missing "shape"`);
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    throw fail(`"shape" must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }

  if (offsets === undefined) throw fail(`missing "data_offsets"`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    throw fail(`"data_offsets" must be [begin, end] with non-negative integers, got ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) throw fail(`data_offsets [${begin}, ${end}] end before they begin`);
  if (end > dataSize) {
    throw fail(`data_offsets [${begin}, ${end}] run past the end of the data section (${dataSize} bytes; file truncated?)`);
  }

  const bits = elementCount(shape as number[]) * bitsOf(dtype);
  if (!Number.isSafeInteger(bits)) throw fail(`shape ${JSON.stringify(shape)} is too large`);
  if (bits % 8 !== 0) throw fail(`shape ${JSON.stringify(shape)} of ${dtype} does not fill whole bytes (${bits} bits)`);
  if (end - begin !== bits / 8) {
    throw fail(`shape ${JSON.stringify(shape)} of ${dtype} needs ${bits / 8} bytes, data_offsets [${begin}, ${end}] hold ${end - begin}`);
  }
  return { dtype, shape: shape as number[], dataOffsets: [begin, end] };
}

/** Product of dims; Infinity when it leaves the safe-integer range (caught by the caller). */
function elementCount(shape: number[]): number {
  if (shape.includes(0)) return 0;
  let n = 1;
  for (const d of shape) {
    n *= d;
    if (n > Number.MAX_SAFE_INTEGER) return Infinity;
  }
  return n;
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}
