/** Softmax family, max-subtracted for stability. */
import { getBackend } from "../../backend/index.js";
import { needsGrad } from "../autograd.js";
import { Tensor } from "../tensor.js";
import { normAxis, sizeOf } from "../shape.js";
import { permute, transpose } from "./layout.js";

/** Runs a last-axis op on any axis by moving that axis last and back. */
function alongAxis(x: Tensor, dim: number, op: (t: Tensor) => Tensor): Tensor {
  const d = normAxis(dim, x.ndim);
  if (x.ndim === 0 || d === x.ndim - 1) return op(x);
  return transpose(op(transpose(x, d, -1)), d, -1);
}

function rows(x: Tensor): [number, number] {
  const cols = x.ndim === 0 ? 1 : x.shape[x.ndim - 1];
  return [cols === 0 ? 0 : x.size / cols, cols];
}

export function softmax(x: Tensor, dim = -1): Tensor {
  return alongAxis(x, dim, (t) => {
    const [r, c] = rows(t);
    const out = new Float32Array(t.size);
    getBackend().softmax(t.f32("softmax"), out, r, c);
    const y = new Tensor(out, t.shape);
    if (needsGrad(t)) {
      y.setGradFn({
        op: "softmax",
        inputs: [t],
        backward: (g) => {
          // dx = y * (g - sum(g * y)), fused on the backend
          const dx = new Float32Array(t.size);
          getBackend().softmaxBackward(out, g.f32(), dx, r, c);
          return [new Tensor(dx, t.shape)];
        },
      });
    }
    return y;
  });
}

/** Row log-sum-exp values (float64 accumulation), used by logSoftmax and logsumexp. */
function rowLogSumExp(x: Float32Array, r: number, c: number): Float64Array {
  const lse = new Float64Array(r);
  for (let i = 0; i < r; i++) {
    const o = i * c;
    let max = -Infinity;
    for (let j = 0; j < c; j++) if (x[o + j] > max || Number.isNaN(x[o + j])) max = x[o + j];
    if (max === -Infinity || max === Infinity || Number.isNaN(max)) {
      lse[i] = max;
      continue;
    }
    let sum = 0;
    for (let j = 0; j < c; j++) sum += Math.exp(x[o + j] - max);
    lse[i] = max + Math.log(sum);
  }
  return lse;
}

export function logSoftmax(x: Tensor, dim = -1): Tensor {
  return alongAxis(x, dim, (t) => {
    const [r, c] = rows(t);
    const src = t.f32("logSoftmax");
    const lse = rowLogSumExp(src, r, c);
    const out = new Float32Array(t.size);
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[i * c + j] = src[i * c + j] - lse[i];
    const y = new Tensor(out, t.shape);
    if (needsGrad(t)) {
      y.setGradFn({
        op: "logSoftmax",
        inputs: [t],
        backward: (g) => {
          // dx = g - softmax * sum(g)
          const gd = g.f32();
          const dx = new Float32Array(t.size);
          for (let i = 0; i < r; i++) {
            const o = i * c;
            let s = 0;
            for (let j = 0; j < c; j++) s += gd[o + j];
            for (let j = 0; j < c; j++) dx[o + j] = gd[o + j] - Math.exp(out[o + j]) * s;
          }
          return [new Tensor(dx, t.shape)];
        },
      });
    }
    return y;
  });
}

/** log(sum(exp(x))) along `dim`, stable. */
export function logsumexp(x: Tensor, dim = -1, keepDim = false): Tensor {
  const d = normAxis(dim, x.ndim);
  // Move `dim` last keeping the other axes in order, so the rows come out in the order of the
  // output shape (a transpose would swap `dim` with the last axis and scramble 3-d+ results).
  const perm = [...x.shape.keys()].filter((i) => i !== d).concat(x.ndim === 0 ? [] : [d]);
  const moved = x.ndim === 0 || d === x.ndim - 1 ? x : permute(x, perm);
  const c = rows(moved)[1];
  // Rows counted from the other axes: with an empty `dim` each row is still there, and is -inf.
  const r = x.ndim === 0 ? 1 : sizeOf(moved.shape.slice(0, -1));
  const src = moved.f32("logsumexp");
  const lse = rowLogSumExp(src, r, c);
  const keptShape = [...x.shape];
  if (x.ndim > 0) keptShape[d] = 1;
  const outShape = keepDim ? keptShape : x.shape.filter((_, i) => i !== d);
  const y = new Tensor(Float32Array.from(lse), outShape);
  if (needsGrad(x)) {
    y.setGradFn({
      op: "logsumexp",
      inputs: [x],
      backward: (g) => {
        const gd = g.f32();
        const dx = new Float32Array(moved.size);
        for (let i = 0; i < r; i++) {
          for (let j = 0; j < c; j++) dx[i * c + j] = gd[i] * Math.exp(src[i * c + j] - lse[i]);
        }
        const gm = new Tensor(dx, moved.shape);
        const inverse = perm.map((_, i) => perm.indexOf(i));
        return [moved === x ? gm : permute(gm, inverse)];
      },
    });
  }
  return y;
}
