import type { MatmulParams } from "../backend.js";

/**
 * Portable batched GEMM. The inner loop runs over contiguous rows of B (i-k-j order) so that
 * V8 keeps it in registers; transposed operands are read through strides, never copied.
 */
export function gemm(a: Float32Array, b: Float32Array, out: Float32Array, p: MatmulParams): void {
  const { batch, m, n, k, transA, transB, strideA, strideB, bias, accumulate } = p;
  // A transposed B is cheaper as [K, N] rows: pack it once per batch element.
  const rowB = transB ? new Float32Array(k * n) : null;
  for (let bi = 0; bi < batch; bi++) {
    const aOff = bi * strideA;
    const bOff = bi * strideB;
    const cOff = bi * m * n;
    let bMat: Float32Array;
    let bBase: number;
    if (rowB) {
      if (bi === 0 || strideB !== 0) {
        for (let j = 0; j < n; j++) {
          const src = bOff + j * k;
          for (let kk = 0; kk < k; kk++) rowB[kk * n + j] = b[src + kk];
        }
      }
      bMat = rowB;
      bBase = 0;
    } else {
      bMat = b;
      bBase = bOff;
    }
    for (let i = 0; i < m; i++) {
      const cRow = cOff + i * n;
      if (!accumulate) {
        if (bias) for (let j = 0; j < n; j++) out[cRow + j] = bias[j];
        else out.fill(0, cRow, cRow + n);
      } else if (bias) {
        for (let j = 0; j < n; j++) out[cRow + j] += bias[j];
      }
      for (let kk = 0; kk < k; kk++) {
        const av = transA ? a[aOff + kk * m + i] : a[aOff + i * k + kk];
        // No shortcut for av === 0: 0 * NaN and 0 * inf must still give NaN (IEEE, as BLAS).
        const bRow = bBase + kk * n;
        for (let j = 0; j < n; j++) out[cRow + j] += av * bMat[bRow + j];
      }
    }
  }
}
