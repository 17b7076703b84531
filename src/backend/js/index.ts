import type { Backend, MatmulParams } from "../backend.js";
import { attention, attentionBackward } from "./attention.js";
import { activationBackward, adamwStep, layerNormBackward, rmsNormBackward, softmaxBackward, sumRows } from "./backward.js";
import { gemm } from "./gemm.js";
import { matmulHalfB } from "./half.js";
import { geluErf, geluTanh, sigmoid } from "../numerics/index.js";

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

/**
 * The portable backend: plain TypeScript, single-threaded, always available, every kernel (in
 * both attention layouts). It is the reference the native kernels are tested against and
 * stand in for where the addon lacks one.
 */
export const jsBackend: Backend = {
  name: "js",
  threads: () => 1,
  setThreads: () => {},
  matmul(a: Float32Array, b: Float32Array, out: Float32Array, p: MatmulParams) {
    gemm(a, b, out, p);
  },
  matmulHalfB,
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
  add(a, b, out) {
    for (let i = 0; i < out.length; i++) out[i] = a[i] + b[i];
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
  attentionBackward,
  activationBackward,
  layerNormBackward,
  rmsNormBackward,
  softmaxBackward,
  sumRows,
  adamwStep,
};
