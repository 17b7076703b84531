/**
 * A minimal safetensors reader for the test fixtures (F32, F64, I64, I32), so the op tests
 * depend on nothing but the tensor engine. Format: u64 header length, JSON header, raw data.
 */
import { readFileSync } from "node:fs";

export type RawTensor = { dtype: string; shape: number[]; data: Float32Array | Float64Array | BigInt64Array | Int32Array };

export function readSafetensors(path: string): { tensors: Map<string, RawTensor>; metadata: Record<string, string> } {
  const buf = readFileSync(path);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.toString("utf8", 8, 8 + n)) as Record<string, unknown>;
  const tensors = new Map<string, RawTensor>();
  const base = 8 + n;
  for (const [name, info] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const { dtype, shape, data_offsets: [s, e] } = info as { dtype: string; shape: number[]; data_offsets: [number, number] };
    // Copy: typed arrays need aligned offsets, and the tests must own their buffers.
    const bytes = buf.buffer.slice(buf.byteOffset + base + s, buf.byteOffset + base + e);
    const C = { F32: Float32Array, F64: Float64Array, I64: BigInt64Array, I32: Int32Array }[dtype];
    if (!C) throw new Error(`${path}: ${name} has unsupported dtype ${dtype}`);
    tensors.set(name, { dtype, shape, data: new C(bytes) });
  }
  return { tensors, metadata: (header.__metadata__ ?? {}) as Record<string, string> };
}
