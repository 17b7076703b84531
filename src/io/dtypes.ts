/**
 * The safetensors element types, as the format's reference implementation (huggingface/safetensors,
 * `Dtype`) lists them. The header parser accepts every one of them, so any valid file can be
 * inspected and read raw; which of them load as a `Tensor` is decided in `read.ts`.
 */
export const SAFETENSORS_DTYPES = [
  "BOOL", "F4", "F6_E2M3", "F6_E3M2", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0",
  "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "C64", "F64", "I64", "U64",
] as const;

export type SafetensorsDType = (typeof SAFETENSORS_DTYPES)[number];

/** Bits per element: F4 and F6 pack several elements into a byte. */
const BITS: Record<SafetensorsDType, number> = {
  BOOL: 8, F4: 4, F6_E2M3: 6, F6_E3M2: 6, U8: 8, I8: 8, F8_E5M2: 8, F8_E4M3: 8, F8_E8M0: 8,
  I16: 16, U16: 16, F16: 16, BF16: 16, I32: 32, U32: 32, F32: 32, C64: 64, F64: 64, I64: 64, U64: 64,
};

export function isSafetensorsDType(value: string): value is SafetensorsDType {
  return Object.hasOwn(BITS, value);
}

export function bitsOf(dtype: SafetensorsDType): number {
  return BITS[dtype];
}

/**
 * Position in the reference's `Dtype` enum. Its writer orders tensors by this rank, descending,
 * so that wider types come first and every tensor starts at a multiple of its own width; we
 * order the same way so our files are byte-identical to Python's for the same input.
 */
export function rankOf(dtype: SafetensorsDType): number {
  return SAFETENSORS_DTYPES.indexOf(dtype);
}

/** The typed array that holds a dtype's stored bits unchanged (packed bytes for F4/F6/F8). */
export type RawData =
  | Uint8Array | Int8Array | Int16Array | Uint16Array | Int32Array | Uint32Array
  | Float32Array | Float64Array | BigInt64Array | BigUint64Array;

/** Allocates a zeroed raw array for `byteLength` bytes of `dtype`. */
export function allocateRaw(dtype: SafetensorsDType, byteLength: number): RawData {
  switch (dtype) {
    case "I8": return new Int8Array(byteLength);
    case "I16": return new Int16Array(byteLength / 2);
    case "U16": case "F16": case "BF16": return new Uint16Array(byteLength / 2);
    case "I32": return new Int32Array(byteLength / 4);
    case "U32": return new Uint32Array(byteLength / 4);
    // C64 is interleaved (real, imaginary) float32 pairs.
    case "F32": case "C64": return new Float32Array(byteLength / 4);
    case "F64": return new Float64Array(byteLength / 8);
    case "I64": return new BigInt64Array(byteLength / 8);
    case "U64": return new BigUint64Array(byteLength / 8);
    default: return new Uint8Array(byteLength);
  }
}
