import { closeSync } from "node:fs";
import { DTypeError, NotFoundError } from "../errors.js";
import { Tensor } from "../tensor/tensor.js";
import { type RawData, type SafetensorsDType, allocateRaw, bitsOf } from "./dtypes.js";
import { bf16ToFloat32, f16ToFloat32 } from "./half.js";
import { type SafetensorsHeader, type TensorInfo, readHeaderFrom } from "./header.js";
import { bytesOf, openForRead, readExactly } from "./files.js";

/** A tensor's stored elements, bit for bit (F16/BF16 as Uint16Array bits, F8/F4/F6 as packed bytes). */
export interface RawTensor {
  dtype: SafetensorsDType;
  shape: number[];
  bytes: RawData;
}

export interface LoadOptions {
  /** Load only these tensors (each must exist). Default: all. */
  names?: Iterable<string>;
}

// Converting dtypes go through a scratch buffer of this size, so a tensor costs its output
// array plus 4 MiB, never a second full copy. A multiple of 8 keeps every element whole.
const CHUNK_BYTES = 4 << 20;

// Method syntax on purpose: each rule narrows `out` to the array its `make` returns.
interface Widening {
  make(count: number): Float32Array | Int32Array | BigInt64Array;
  widen(src: Uint8Array, out: Float32Array | Int32Array | BigInt64Array, at: number): void;
}

const float32s = (n: number) => new Float32Array(n);
const int32s = (n: number) => new Int32Array(n);

/**
 * How each stored dtype becomes a Tensor: floats upcast to float32 (exact for F16/BF16, F64
 * rounded to nearest), small integers and BOOL widen to int32, U32 to int64 (exact). U64,
 * C64 and the F8/F6/F4 formats have no faithful Tensor form: read them with `readRaw`.
 * F32, I32 and I64 need no conversion and are read in place.
 */
const WIDEN: Partial<Record<SafetensorsDType, Widening>> = {
  F16: { make: float32s, widen: (src, out: Float32Array, at) => f16ToFloat32(u16(src), out, at) },
  BF16: { make: float32s, widen: (src, out: Float32Array, at) => bf16ToFloat32(u16(src), out, at) },
  F64: { make: float32s, widen: (src, out: Float32Array, at) => out.set(new Float64Array(src.buffer, src.byteOffset, src.length / 8), at) },
  I8: { make: int32s, widen: (src, out: Int32Array, at) => out.set(new Int8Array(src.buffer, src.byteOffset, src.length), at) },
  U8: { make: int32s, widen: (src, out: Int32Array, at) => out.set(src, at) },
  I16: { make: int32s, widen: (src, out: Int32Array, at) => out.set(new Int16Array(src.buffer, src.byteOffset, src.length / 2), at) },
  U16: { make: int32s, widen: (src, out: Int32Array, at) => out.set(u16(src), at) },
  BOOL: {
    make: int32s,
    widen: (src, out: Int32Array, at) => {
      for (let i = 0; i < src.length; i++) out[at + i] = src[i] === 0 ? 0 : 1;
    },
  },
  U32: {
    make: (n) => new BigInt64Array(n),
    // Zero-extend by writing the low word of each (zeroed) little-endian int64.
    widen: (src, out: BigInt64Array, at) => {
      const words = new Uint32Array(src.buffer, src.byteOffset, src.length / 4);
      const low = new Uint32Array(out.buffer, out.byteOffset + at * 8, words.length * 2);
      for (let i = 0; i < words.length; i++) low[2 * i] = words[i];
    },
  },
};

function u16(bytes: Uint8Array): Uint16Array {
  return new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2);
}

/**
 * An open `.safetensors` file with its validated header: read tensors one at a time, as
 * Tensors or raw. Reads go straight from the file into each tensor's own array (unaligned
 * offsets are fine: the destination is always a fresh, aligned array). Little-endian hosts only,
 * like the format.
 *
 * @example
 * const file = openSafetensors("model.safetensors");
 * try {
 *   const w = file.read("visual_projection.weight");       // Tensor float32
 *   const raw = file.readRaw("visual_projection.weight");  // { dtype, shape, bytes }
 * } finally {
 *   file.close();
 * }
 */
export class SafetensorsReader {
  readonly path: string;
  readonly header: SafetensorsHeader;
  private fd: number;
  private scratch: Uint8Array | null = null;

  constructor(path: string) {
    this.path = path;
    this.fd = openForRead(path);
    try {
      this.header = readHeaderFrom(this.fd, path);
    } catch (error) {
      closeSync(this.fd);
      throw error;
    }
  }

  /** Tensor names in file order. */
  names(): string[] {
    return Object.keys(this.header.tensors);
  }

  info(name: string): TensorInfo {
    const info = this.header.tensors[name];
    if (!info) throw new NotFoundError(`${this.path}: no tensor "${name}" in this file`);
    return info;
  }

  /** The stored elements without conversion. */
  readRaw(name: string): RawTensor {
    const info = this.info(name);
    const [begin, end] = info.dataOffsets;
    const bytes = allocateRaw(info.dtype, end - begin);
    readExactly(this.fd, this.path, bytesOf(bytes), this.header.dataStart + begin, `tensor "${name}"`);
    return { dtype: info.dtype, shape: [...info.shape], bytes };
  }

  /** The tensor as float32, int32 or int64 (see the conversion table above). */
  read(name: string): Tensor {
    const info = this.info(name);
    if (info.dtype === "F32" || info.dtype === "I32" || info.dtype === "I64") {
      const { bytes, shape } = this.readRaw(name);
      return new Tensor(bytes as Float32Array | Int32Array | BigInt64Array, shape);
    }
    const rule = WIDEN[info.dtype];
    if (!rule) {
      throw new DTypeError(`${this.path}: tensor "${name}" is ${info.dtype}, which has no float32/int32/int64 form; read it with loadSafetensorsRaw`);
    }
    const [begin, end] = info.dataOffsets;
    const itemBytes = bitsOf(info.dtype) / 8;
    const count = (end - begin) / itemBytes;
    const out = rule.make(count);
    this.scratch ??= new Uint8Array(CHUNK_BYTES);
    for (let done = 0; done < end - begin; done += CHUNK_BYTES) {
      const chunk = this.scratch.subarray(0, Math.min(CHUNK_BYTES, end - begin - done));
      readExactly(this.fd, this.path, chunk, this.header.dataStart + begin + done, `tensor "${name}"`);
      rule.widen(chunk, out, done / itemBytes);
    }
    return new Tensor(out, info.shape);
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Opens a file and validates its header; close it when done. */
export function openSafetensors(path: string): SafetensorsReader {
  return new SafetensorsReader(path);
}

/**
 * Loads tensors from a `.safetensors` file, one at a time straight into their own arrays:
 * peak memory is the loaded tensors plus 4 MiB, not twice the file.
 *
 * @example
 * const weights = loadSafetensors("clip/model.safetensors");
 * weights.get("logit_scale")?.item();
 */
export function loadSafetensors(path: string, options: LoadOptions = {}): Map<string, Tensor> {
  const file = openSafetensors(path);
  try {
    const names = options.names ? [...options.names] : file.names();
    for (const name of names) file.info(name);
    return new Map(names.map((name) => [name, file.read(name)]));
  } finally {
    file.close();
  }
}

/**
 * One tensor exactly as stored, e.g. to keep F16/BF16 weights at half the memory and convert
 * per use. For many tensors, `openSafetensors` avoids re-reading the header each time.
 *
 * @example
 * const { dtype, shape, bytes } = loadSafetensorsRaw("llama.safetensors", "lm_head.weight");
 * // dtype "BF16", bytes: Uint16Array of bf16 bits
 */
export function loadSafetensorsRaw(path: string, name: string): RawTensor {
  const file = openSafetensors(path);
  try {
    return file.readRaw(name);
  } finally {
    file.close();
  }
}
