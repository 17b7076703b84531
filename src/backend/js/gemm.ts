import type { MatmulParams } from "../backend.js";

/**
 * Portable batched GEMM, blocked as BLIS is, in plain TypeScript: B is packed into panels of
 * NR columns and A into panels of MR rows (per KC-deep slice of K, NC columns of B at a time),
 * and a 4x4 micro-kernel keeps its 16 sums in local variables, so the inner loop is 8 loads and
 * 16 multiply-adds with no stores (the i-k-j loop it replaces loaded and stored C for every
 * multiply-add: ~0.5 GFLOP/s against ~3 here). Sums are kept in float64 within a KC slice and
 * added into C once per slice. Transposed operands are read through the packing, never copied.
 *
 * Few-row products with B in the Linear layout (decoding one token: m = 1) skip the packing and
 * take dot products along B's contiguous rows instead.
 */
const MR = 4;
const NR = 4;
/** K depth of one packed slice: an A panel (MR x KC) and a B panel (KC x NR) stay in L1. */
const KC = 256;
/** Columns of B packed at once: KC x NC floats (512 KB) stays in L2. */
const NC = 512;

/** Packing buffers, grown on demand and reused across calls (the js backend is single-threaded). */
let packA: Float64Array<ArrayBuffer> = new Float64Array(0);
let packB: Float64Array<ArrayBuffer> = new Float64Array(0);

const edgeTile = new Float64Array(MR * NR);

function scratch(current: Float64Array<ArrayBuffer>, size: number): Float64Array<ArrayBuffer> {
  return current.length >= size ? current : new Float64Array(size);
}

export function gemm(a: Float32Array, b: Float32Array, out: Float32Array, p: MatmulParams): void {
  const { batch, m, n, k, transA, transB, strideA, strideB, bias, accumulate } = p;
  if (batch === 0 || m === 0 || n === 0) return;
  // C starts as bias (or 0), or C + bias when accumulating; the K slices then add into it.
  for (let bi = 0; bi < batch; bi++) {
    const cOff = bi * m * n;
    for (let i = 0; i < m; i++) {
      const cRow = cOff + i * n;
      if (!accumulate) {
        if (bias) for (let j = 0; j < n; j++) out[cRow + j] = bias[j];
        else out.fill(0, cRow, cRow + n);
      } else if (bias) {
        for (let j = 0; j < n; j++) out[cRow + j] += bias[j];
      }
    }
  }
  if (k === 0) return;
  if (transB && !transA && m < MR) {
    rowDots(a, b, out, batch, m, n, k, strideA, strideB);
    return;
  }
  const mPanels = Math.ceil(m / MR);
  packA = scratch(packA, mPanels * MR * KC);
  packB = scratch(packB, Math.ceil(Math.min(n, NC) / NR) * NR * KC);
  const pa = packA;
  const pb = packB;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    const nPanels = Math.ceil(nc / NR);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      for (let bi = 0; bi < batch; bi++) {
        // A broadcast weight (strideB 0) is packed once per slice for the whole batch.
        if (bi === 0 || strideB !== 0) packPanelsB(b, pb, bi * strideB, transB, n, k, jc, nc, pc, kc);
        packPanelsA(a, pa, bi * strideA, transA, m, k, pc, kc);
        const cOff = bi * m * n;
        for (let jp = 0; jp < nPanels; jp++) {
          const j0 = jc + jp * NR;
          const nr = Math.min(NR, n - j0);
          const bBase = jp * NR * kc;
          for (let ip = 0; ip < mPanels; ip++) {
            const i0 = ip * MR;
            kernel4x4(pa, ip * MR * kc, pb, bBase, kc, out, cOff + i0 * n + j0, n, Math.min(MR, m - i0), nr);
          }
        }
      }
    }
  }
}

/** A[:, pc:pc+kc] as MR-row panels, k-major inside a panel; rows past m are zeros. */
function packPanelsA(
  a: Float32Array, pa: Float64Array, aOff: number, transA: boolean, m: number, k: number, pc: number, kc: number,
): void {
  const panels = Math.ceil(m / MR);
  for (let ip = 0; ip < panels; ip++) {
    const base = ip * MR * kc;
    for (let r = 0; r < MR; r++) {
      const i = ip * MR + r;
      if (i >= m) {
        for (let t = 0; t < kc; t++) pa[base + t * MR + r] = 0;
      } else if (transA) {
        // A stored [K, M]: element (i, t) at t * m + i.
        for (let t = 0; t < kc; t++) pa[base + t * MR + r] = a[aOff + (pc + t) * m + i];
      } else {
        const row = aOff + i * k + pc;
        for (let t = 0; t < kc; t++) pa[base + t * MR + r] = a[row + t];
      }
    }
  }
}

/** B[pc:pc+kc, jc:jc+nc] as NR-column panels, k-major inside a panel; columns past n are zeros. */
function packPanelsB(
  b: Float32Array, pb: Float64Array, bOff: number, transB: boolean, n: number, k: number,
  jc: number, nc: number, pc: number, kc: number,
): void {
  const panels = Math.ceil(nc / NR);
  for (let jp = 0; jp < panels; jp++) {
    const base = jp * NR * kc;
    for (let c = 0; c < NR; c++) {
      const j = jc + jp * NR + c;
      if (j >= jc + nc) {
        for (let t = 0; t < kc; t++) pb[base + t * NR + c] = 0;
      } else if (transB) {
        // B stored [N, K] (the Linear layout): row j is contiguous in k.
        const row = bOff + j * k + pc;
        for (let t = 0; t < kc; t++) pb[base + t * NR + c] = b[row + t];
      } else {
        for (let t = 0; t < kc; t++) pb[base + t * NR + c] = b[bOff + (pc + t) * n + j];
      }
    }
  }
}

/**
 * C[0:mr, 0:nr] += (A panel) x (B panel) over kc, with C's tile at `c` (row stride ldc). The
 * padding rows/columns of the panels are computed (their zeros may meet an inf and make NaN)
 * but never stored.
 */
function kernel4x4(
  pa: Float64Array, aBase: number, pb: Float64Array, bBase: number, kc: number,
  out: Float32Array, c: number, ldc: number, mr: number, nr: number,
): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  let ia = aBase;
  let ib = bBase;
  for (let t = 0; t < kc; t++, ia += MR, ib += NR) {
    const a0 = pa[ia], a1 = pa[ia + 1], a2 = pa[ia + 2], a3 = pa[ia + 3];
    const b0 = pb[ib], b1 = pb[ib + 1], b2 = pb[ib + 2], b3 = pb[ib + 3];
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
  }
  if (mr === MR && nr === NR) {
    out[c] += c00; out[c + 1] += c01; out[c + 2] += c02; out[c + 3] += c03;
    c += ldc;
    out[c] += c10; out[c + 1] += c11; out[c + 2] += c12; out[c + 3] += c13;
    c += ldc;
    out[c] += c20; out[c + 1] += c21; out[c + 2] += c22; out[c + 3] += c23;
    c += ldc;
    out[c] += c30; out[c + 1] += c31; out[c + 2] += c32; out[c + 3] += c33;
    return;
  }
  const tile = edgeTile;
  tile[0] = c00; tile[1] = c01; tile[2] = c02; tile[3] = c03;
  tile[4] = c10; tile[5] = c11; tile[6] = c12; tile[7] = c13;
  tile[8] = c20; tile[9] = c21; tile[10] = c22; tile[11] = c23;
  tile[12] = c30; tile[13] = c31; tile[14] = c32; tile[15] = c33;
  for (let r = 0; r < mr; r++) for (let q = 0; q < nr; q++) out[c + r * ldc + q] += tile[r * NR + q];
}

/** C[i, j] += dot(A row i, B row j) for B [N, K]: both rows contiguous, four B rows at a time. */
function rowDots(
  a: Float32Array, b: Float32Array, out: Float32Array, batch: number, m: number, n: number, k: number,
  strideA: number, strideB: number,
): void {
  for (let bi = 0; bi < batch; bi++) {
    const aOff = bi * strideA;
    const bOff = bi * strideB;
    const cOff = bi * m * n;
    for (let i = 0; i < m; i++) {
      const ai = aOff + i * k;
      const cRow = cOff + i * n;
      let j = 0;
      for (; j + 4 <= n; j += 4) {
        const r0 = bOff + j * k;
        const r1 = r0 + k;
        const r2 = r1 + k;
        const r3 = r2 + k;
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (let t = 0; t < k; t++) {
          const av = a[ai + t];
          s0 += av * b[r0 + t];
          s1 += av * b[r1 + t];
          s2 += av * b[r2 + t];
          s3 += av * b[r3 + t];
        }
        out[cRow + j] += s0;
        out[cRow + j + 1] += s1;
        out[cRow + j + 2] += s2;
        out[cRow + j + 3] += s3;
      }
      for (; j < n; j++) {
        const r = bOff + j * k;
        let s = 0;
        for (let t = 0; t < k; t++) s += a[ai + t] * b[r + t];
        out[cRow + j] += s;
      }
    }
  }
}
