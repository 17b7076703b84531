/** The js reference for `Backend.matmulHalfB` (see backend.ts for the contract). */
import type { HalfKind, MatmulParams } from "../backend.js";
import { decodeHalf } from "../numerics/index.js";

/**
 * C = op(A) @ op(decode(B)) (+ bias) (+ C). Each row of B is decoded once per call into a
 * float32 scratch row, so memory stays at the 16-bit weights plus one row.
 */
export function matmulHalfB(a: Float32Array, bBits: Uint16Array, kind: HalfKind, out: Float32Array, p: MatmulParams): void {
  const { batch, m, n, k, transA, transB, strideA, strideB, bias, accumulate } = p;
  // A[i][t] wherever A is stored.
  const aAt = transA ? (off: number, i: number, t: number) => a[off + t * m + i] : (off: number, i: number, t: number) => a[off + i * k + t];
  const row = new Float32Array(transB ? k : n);
  for (let bi = 0; bi < batch; bi++) {
    const aOff = bi * strideA;
    const bOff = bi * strideB;
    const cOff = bi * m * n;
    for (let i = 0; i < m; i++) {
      const cRow = cOff + i * n;
      if (!accumulate) {
        if (bias) out.set(bias.subarray(0, n), cRow);
        else out.fill(0, cRow, cRow + n);
      } else if (bias) {
        for (let j = 0; j < n; j++) out[cRow + j] += bias[j];
      }
    }
    if (transB) {
      // B [N, K]: row j of B is column j of op(B); one dot product per output element.
      for (let j = 0; j < n; j++) {
        decodeHalf(bBits, kind, bOff + j * k, k, row);
        for (let i = 0; i < m; i++) {
          let s = 0;
          if (transA) {
            for (let t = 0; t < k; t++) s += aAt(aOff, i, t) * row[t];
          } else {
            const ai = aOff + i * k;
            for (let t = 0; t < k; t++) s += a[ai + t] * row[t];
          }
          out[cOff + i * n + j] += s;
        }
      }
    } else {
      // B [K, N]: row t of B scales into every output row (i-k-j order, as the f32 gemm).
      for (let t = 0; t < k; t++) {
        decodeHalf(bBits, kind, bOff + t * n, n, row);
        for (let i = 0; i < m; i++) {
          const av = aAt(aOff, i, t);
          const cRow = cOff + i * n;
          for (let j = 0; j < n; j++) out[cRow + j] += av * row[j];
        }
      }
    }
  }
}
