/**
 * IEEE half precision (F16) and bfloat16 (BF16) <-> float32, bit-exact, for Node versions
 * without `Float16Array`. Narrowing rounds to nearest, ties to even (what PyTorch and NumPy
 * do), overflows to infinity and keeps NaN a quiet NaN with its sign.
 */

import { F16_TABLE, decodeHalf } from "../backend/numerics/index.js";

const SCRATCH_F32 = new Float32Array(1);
const SCRATCH_U32 = new Uint32Array(SCRATCH_F32.buffer);

/** float32 bits (as an unsigned 32-bit integer) -> F16 bits. */
export function f32BitsToF16(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) {
    // Setting the quiet bit keeps a NaN whose payload lives only in the low 13 bits from
    // becoming infinity once those bits are shifted out.
    return mant === 0 ? sign | 0x7c00 : sign | 0x7e00 | (mant >>> 13);
  }
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal result: value / 2^-24 = full mantissa >> (14 - e). Below half the smallest
    // subnormal (e < -10) everything rounds to zero.
    if (e < -10) return sign;
    const full = mant | 0x800000;
    const shift = 14 - e;
    const rest = full & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    let m = full >>> shift;
    if (rest > half || (rest === half && (m & 1) === 1)) m++;
    // m may reach 0x400, which is exactly the encoding of the smallest normal: still right.
    return sign | m;
  }
  const h = sign | (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // A carry out of the mantissa bumps the exponent, and from 0x7bff lands on infinity: both right.
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) return h + 1;
  return h;
}

/** F16 bits -> the float32 value (every F16 value is exactly representable). */
export function f16BitsToF32(h: number): number {
  return F16_TABLE[h & 0xffff];
}

/** float32 bits -> BF16 bits (the top half, rounded to nearest even). */
export function f32BitsToBf16(x: number): number {
  if ((x & 0x7fffffff) > 0x7f800000) return (x >>> 16) | 0x40;
  // Adding 0x7fff plus the lowest kept bit rounds ties to even; cannot pass 2^32 for non-NaN x.
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/** BF16 bits -> the float32 value. */
export function bf16BitsToF32(b: number): number {
  SCRATCH_U32[0] = (b & 0xffff) << 16;
  return SCRATCH_F32[0];
}

/** A float32 value -> its bits as an unsigned integer. */
export function f32Bits(value: number): number {
  SCRATCH_F32[0] = value;
  return SCRATCH_U32[0];
}

/** Decodes `src` (F16 bits) into `out` starting at `outOffset`. */
export function f16ToFloat32(src: Uint16Array, out: Float32Array, outOffset: number): void {
  decodeHalf(src, "f16", 0, src.length, out, outOffset);
}

/** Decodes `src` (BF16 bits) into `out` starting at `outOffset`. */
export function bf16ToFloat32(src: Uint16Array, out: Float32Array, outOffset: number): void {
  decodeHalf(src, "bf16", 0, src.length, out, outOffset);
}

/** Encodes `src[srcOffset ..]` as F16 bits into all of `out`. */
export function float32ToF16(src: Float32Array, srcOffset: number, out: Uint16Array): void {
  const bits = new Uint32Array(src.buffer, src.byteOffset + srcOffset * 4, out.length);
  for (let i = 0; i < out.length; i++) out[i] = f32BitsToF16(bits[i]);
}

/** Encodes `src[srcOffset ..]` as BF16 bits into all of `out`. */
export function float32ToBf16(src: Float32Array, srcOffset: number, out: Uint16Array): void {
  const bits = new Uint32Array(src.buffer, src.byteOffset + srcOffset * 4, out.length);
  for (let i = 0; i < out.length; i++) out[i] = f32BitsToBf16(bits[i]);
}
