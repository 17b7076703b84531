/**
 * 16-bit float decoding shared by the js kernels, the half-weight ops and the checkpoint
 * readers: F16 through a table, BF16 by widening its bits. Encoding lives with the file
 * formats (src/io/half.ts), the only place that narrows.
 */
import type { HalfKind } from "../backend.js";

/** F16 bits -> float32, as a 256 KB table: decoding is one load per element. */
export const F16_TABLE = (() => {
  const table = new Float32Array(65536);
  const bits = new Uint32Array(table.buffer);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exp = (h >>> 10) & 0x1f;
    const mant = h & 0x3ff;
    if (exp === 0) table[h] = (sign ? -1 : 1) * mant * 2 ** -24;
    else if (exp === 0x1f) bits[h] = (sign | 0x7f800000 | (mant << 13)) >>> 0;
    else bits[h] = (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
  }
  return table;
})();

/**
 * Decodes `count` elements of `bits` from `from` into `out` at `at`, exactly (every F16 and
 * BF16 value is a float32 value).
 *
 * @example
 * const out = new Float32Array(2);
 * decodeHalf(Uint16Array.of(0x3c00, 0xc000), "f16", 0, 2, out); // out = [1, -2]
 */
export function decodeHalf(bits: Uint16Array, kind: HalfKind, from: number, count: number, out: Float32Array, at = 0): void {
  if (kind === "f16") {
    for (let i = 0; i < count; i++) out[at + i] = F16_TABLE[bits[from + i]];
  } else {
    // BF16 is the top half of a float32: widen the bits, no arithmetic.
    const outBits = new Uint32Array(out.buffer, out.byteOffset + at * 4, count);
    for (let i = 0; i < count; i++) outBits[i] = bits[from + i] << 16;
  }
}
