import type { AttentionParams, Backend, MatmulParams } from "../backend.js";
import { gemm } from "./gemm.js";
import { geluErf, geluTanh, sigmoid } from "./math.js";
import { activationBackward, adamwStep, layerNormBackward, rmsNormBackward, softmaxBackward, sumRows } from "./backward.js";

function softmaxRows(x: Float32Array, out: Float32Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let max = -Infinity;
    for (let j = 0; j < cols; j++) if (x[o + j] > max) max = x[o + j];
    // A fully masked row (all -inf) has no defined softmax; PyTorch gives NaN, so do we.
    let sum = 0;
    for (let j = 0; j < cols; j++) {
      const e = Math.exp(x[o + j] - max);
      out[o + j] = e;
      sum += e;
    }
    const inv = 1 / sum;
    for (let j = 0; j < cols; j++) out[o + j] *= inv;
  }
}

function attention(
  q: Float32Array, k: Float32Array, v: Float32Array, out: Float32Array, p: AttentionParams,
): void {
  const { batch, heads, kvHeads, lq, lk, headDim: d, scale, causal, mask } = p;
  const maskBatch = p.maskBatch ?? 1;
  const maskHeads = p.maskHeads ?? 1;
  const group = heads / kvHeads;
  // Element strides of one token row and of one head: [B, H, L, D] blocks or [B, L, H, D] rows.
  const blhd = p.layout === "blhd";
  const qRow = blhd ? heads * d : d;
  const qHead = blhd ? d : lq * d;
  const kvRow = blhd ? kvHeads * d : d;
  const kvHead = blhd ? d : lk * d;
  const scores = new Float32Array(lk);
  const offset = lk - lq;
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      const qBase = b * heads * lq * d + h * qHead;
      const kvBase = b * kvHeads * lk * d + Math.floor(h / group) * kvHead;
      const maskBase = mask
        ? ((maskBatch === 1 ? 0 : b) * maskHeads + (maskHeads === 1 ? 0 : h)) * lq * lk
        : 0;
      for (let i = 0; i < lq; i++) {
        const qi = qBase + i * qRow;
        const visible = causal ? Math.min(lk, i + offset + 1) : lk;
        let max = -Infinity;
        for (let j = 0; j < visible; j++) {
          const kj = kvBase + j * kvRow;
          let s = 0;
          for (let t = 0; t < d; t++) s += q[qi + t] * k[kj + t];
          s *= scale;
          if (mask) s += mask[maskBase + i * lk + j];
          scores[j] = s;
          if (s > max) max = s;
        }
        let sum = 0;
        for (let j = 0; j < visible; j++) {
          const e = Math.exp(scores[j] - max);
          scores[j] = e;
          sum += e;
        }
        const oi = qi;
        out.fill(0, oi, oi + d);
        const inv = 1 / sum;
        for (let j = 0; j < visible; j++) {
          const w = scores[j] * inv;
          const vj = kvBase + j * kvRow;
          for (let t = 0; t < d; t++) out[oi + t] += w * v[vj + t];
        }
      }
    }
  }
}

/** The backward kernels every backend may omit and the js one always has. */
export type BackwardKernels = Required<
  Pick<Backend, "activationBackward" | "layerNormBackward" | "rmsNormBackward" | "softmaxBackward" | "sumRows" | "adamwStep">
>;

/** The portable backend: plain TypeScript, single-threaded, always available. */
export const jsBackend: Backend & BackwardKernels = {
  name: "js",
  threads: () => 1,
  setThreads: () => {},
  matmul(a: Float32Array, b: Float32Array, out: Float32Array, p: MatmulParams) {
    gemm(a, b, out, p);
  },
  softmax: softmaxRows,
  layerNorm(x, weight, bias, out, rows, cols, eps, meanOut, rstdOut) {
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      let mean = 0;
      for (let j = 0; j < cols; j++) mean += x[o + j];
      mean /= cols;
      let variance = 0;
      for (let j = 0; j < cols; j++) {
        const c = x[o + j] - mean;
        variance += c * c;
      }
      variance /= cols;
      const rstd = 1 / Math.sqrt(variance + eps);
      if (meanOut) meanOut[r] = mean;
      if (rstdOut) rstdOut[r] = rstd;
      for (let j = 0; j < cols; j++) {
        let y = (x[o + j] - mean) * rstd;
        if (weight) y *= weight[j];
        if (bias) y += bias[j];
        out[o + j] = y;
      }
    }
  },
  rmsNorm(x, weight, out, rows, cols, eps, rstdOut) {
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      let ss = 0;
      for (let j = 0; j < cols; j++) ss += x[o + j] * x[o + j];
      const rstd = 1 / Math.sqrt(ss / cols + eps);
      if (rstdOut) rstdOut[r] = rstd;
      for (let j = 0; j < cols; j++) out[o + j] = x[o + j] * rstd * (weight ? weight[j] : 1);
    }
  },
  gelu(x, out) {
    for (let i = 0; i < x.length; i++) out[i] = geluErf(x[i]);
  },
  geluTanh(x, out) {
    for (let i = 0; i < x.length; i++) out[i] = geluTanh(x[i]);
  },
  quickGelu(x, out) {
    for (let i = 0; i < x.length; i++) out[i] = x[i] * sigmoid(1.702 * x[i]);
  },
  silu(x, out) {
    for (let i = 0; i < x.length; i++) out[i] = x[i] * sigmoid(x[i]);
  },
  attention,
  attentionLayouts: ["bhld", "blhd"],
  activationBackward,
  layerNormBackward,
  rmsNormBackward,
  softmaxBackward,
  sumRows,
  adamwStep,
};
