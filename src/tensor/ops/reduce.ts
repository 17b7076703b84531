/**
 * Reductions over one or more axes: sum, mean, max/min (with the index that won), argmax,
 * argmin. `keepDim` keeps reduced axes as size 1, as PyTorch's keepdim.
 */
import { ArgumentError } from "../../errors.js";
import { getBackend } from "../../backend/index.js";
import { needsGrad } from "../autograd.js";
import { Tensor } from "../tensor.js";
import { broadcastShapes, normAxis, sameShape, sizeOf, stridesOf } from "../shape.js";

export type Axes = number | readonly number[] | undefined;

interface ReducePlan {
  axes: boolean[];
  outShape: number[];
  keptShape: number[];
  /** Per input dimension: stride into the output (0 on reduced axes). */
  outStrides: number[];
  /** Elements reduced into each output element. */
  count: number;
}

function plan(shape: readonly number[], axes: Axes, keepDim: boolean): ReducePlan {
  const nd = shape.length;
  const list = axes === undefined ? [...Array(nd).keys()] : typeof axes === "number" ? [axes] : axes;
  const flags = new Array<boolean>(nd).fill(false);
  for (const a of list) {
    const ax = normAxis(a, nd);
    if (nd > 0 && flags[ax]) throw new ArgumentError(`axis ${a} given twice`);
    if (nd > 0) flags[ax] = true;
  }
  const keptShape = shape.map((d, i) => (flags[i] ? 1 : d));
  const outShape = keepDim ? keptShape : shape.filter((_, i) => !flags[i]);
  const keptStrides = stridesOf(keptShape);
  const outStrides = keptStrides.map((s, i) => (flags[i] ? 0 : s));
  const count = shape.reduce((p, d, i) => (flags[i] ? p * d : p), 1);
  return { axes: flags, outShape, keptShape, outStrides, count };
}

/**
 * Visits every input element with its output index. The last-axis-only case is the common
 * one (softmax rows, losses) and runs as plain row loops.
 */
function forEachReduced(shape: readonly number[], p: ReducePlan, visit: (inIndex: number, outIndex: number) => void): void {
  const n = sizeOf(shape);
  const nd = shape.length;
  const idx = new Array<number>(nd).fill(0);
  let o = 0;
  for (let i = 0; i < n; i++) {
    visit(i, o);
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]++;
      o += p.outStrides[d];
      if (idx[d] < shape[d]) break;
      o -= p.outStrides[d] * shape[d];
      idx[d] = 0;
    }
  }
}

/**
 * When the reduced axes are one contiguous run of dimensions (bias gradients over leading
 * rows, row sums over trailing ones: nearly every reduction in training), the input is
 * [outer, reduced, inner] and plain nested loops replace the general index walk.
 */
function contiguousBlock(shape: readonly number[], p: ReducePlan): { outer: number; reduced: number; inner: number } | null {
  const first = p.axes.indexOf(true);
  if (first < 0) return null;
  let end = first;
  while (end < p.axes.length && p.axes[end]) end++;
  if (p.axes.slice(end).some(Boolean)) return null;
  return { outer: sizeOf(shape.slice(0, first)), reduced: sizeOf(shape.slice(first, end)), inner: sizeOf(shape.slice(end)) };
}

/** Sums over the reduced axes into a float64 accumulator (float32 sums lose digits). */
function accumulate(data: Float32Array, shape: readonly number[], p: ReducePlan): Float64Array {
  const acc = new Float64Array(sizeOf(p.outShape));
  const block = contiguousBlock(shape, p);
  if (!block) {
    forEachReduced(shape, p, (i, o) => (acc[o] += data[i]));
    return acc;
  }
  const { outer, reduced, inner } = block;
  for (let o = 0; o < outer; o++) {
    const base = o * inner;
    for (let r = 0; r < reduced; r++) {
      const from = (o * reduced + r) * inner;
      for (let j = 0; j < inner; j++) acc[base + j] += data[from + j];
    }
  }
  return acc;
}

/**
 * Sums over leading axes only (the Linear bias gradient, sum(g, 0)) through the backend's
 * `sumRows`, which gives `accumulate`'s bits; null for any other reduction.
 */
function sumLeading(data: Float32Array, shape: readonly number[], p: ReducePlan): Float32Array | null {
  const block = contiguousBlock(shape, p);
  if (!block || block.outer !== 1 || block.inner < 2 || block.reduced < 2) return null;
  const out = new Float32Array(block.inner);
  getBackend().sumRows(data, out, block.reduced, block.inner);
  return out;
}

/** Repeats `g` (shaped like a keepDim reduction) back over the reduced axes, times `scale`. */
export function expandTo(g: Tensor, p: ReducePlan, shape: readonly number[], scale = 1): Tensor {
  const src = g.f32();
  const out = new Float32Array(sizeOf(shape));
  const block = contiguousBlock(shape, p);
  if (!block) {
    forEachReduced(shape, p, (i, o) => (out[i] = src[o] * scale));
    return new Tensor(out, shape);
  }
  const { outer, reduced, inner } = block;
  for (let o = 0; o < outer; o++) {
    for (let r = 0; r < reduced; r++) {
      const to = (o * reduced + r) * inner;
      for (let j = 0; j < inner; j++) out[to + j] = src[o * inner + j] * scale;
    }
  }
  return new Tensor(out, shape);
}

export function sum(x: Tensor, axes?: Axes, keepDim = false): Tensor {
  const data = x.f32("sum");
  const p = plan(x.shape, axes, keepDim);
  const out = new Tensor(sumLeading(data, x.shape, p) ?? Float32Array.from(accumulate(data, x.shape, p)), p.outShape);
  if (needsGrad(x)) {
    out.setGradFn({ op: "sum", inputs: [x], backward: (g) => [expandTo(g, p, x.shape)] });
  }
  return out;
}

export function mean(x: Tensor, axes?: Axes, keepDim = false): Tensor {
  const data = x.f32("mean");
  const p = plan(x.shape, axes, keepDim);
  const acc = accumulate(data, x.shape, p);
  for (let i = 0; i < acc.length; i++) acc[i] /= p.count;
  const out = new Tensor(Float32Array.from(acc), p.outShape);
  if (needsGrad(x)) {
    out.setGradFn({ op: "mean", inputs: [x], backward: (g) => [expandTo(g, p, x.shape, 1 / p.count)] });
  }
  return out;
}

function extreme(x: Tensor, axes: Axes, keepDim: boolean, sign: 1 | -1, op: string): { values: Tensor; indices: Tensor } {
  const data = x.f32(op);
  const p = plan(x.shape, axes, keepDim);
  // Only reducing over an empty axis is undefined: max over axis 1 of a [0, 3] tensor is just
  // an empty result, as in PyTorch.
  if (p.count === 0) throw new ArgumentError(`${op}() over an empty dimension of ${JSON.stringify(x.shape)} is undefined`);
  const m = sizeOf(p.outShape);
  const best = new Float32Array(m).fill(-Infinity * sign);
  const where = new Int32Array(m).fill(-1);
  // Position of each element within its reduced group, for the returned indices.
  const group = new Int32Array(m);
  // Flat input index of each winner, for the gradient.
  const flat = new Int32Array(m);
  forEachReduced(x.shape, p, (i, o) => {
    const v = data[i];
    const k = group[o]++;
    const current = best[o];
    // The first element always takes the place; a NaN, once in, stays (max propagates NaN
    // as PyTorch does); otherwise strictly better wins, so ties keep the first index.
    const take = where[o] === -1 || (!Number.isNaN(current) && (Number.isNaN(v) || sign * (v - current) > 0));
    if (take) {
      best[o] = v;
      where[o] = k;
      flat[o] = i;
    }
  });
  const values = new Tensor(best, p.outShape);
  if (needsGrad(x)) {
    values.setGradFn({
      op,
      inputs: [x],
      backward: (g) => {
        const gd = g.f32();
        const out = new Float32Array(x.size);
        for (let o = 0; o < m; o++) out[flat[o]] += gd[o];
        return [new Tensor(out, x.shape)];
      },
    });
  }
  return { values, indices: new Tensor(where, p.outShape) };
}

export function max(x: Tensor, axis?: number, keepDim = false): Tensor {
  return extreme(x, axis, keepDim, 1, "max").values;
}

export function min(x: Tensor, axis?: number, keepDim = false): Tensor {
  return extreme(x, axis, keepDim, -1, "min").values;
}

/** Index of the largest value along `axis` (first on ties), as int32. */
export function argmax(x: Tensor, axis?: number, keepDim = false): Tensor {
  if (axis === undefined) return extreme(x.reshape(-1), 0, false, 1, "argmax").indices;
  return extreme(x, axis, keepDim, 1, "argmax").indices;
}

export function argmin(x: Tensor, axis?: number, keepDim = false): Tensor {
  if (axis === undefined) return extreme(x.reshape(-1), 0, false, -1, "argmin").indices;
  return extreme(x, axis, keepDim, -1, "argmin").indices;
}

/** Max with the winning indices along one axis, as torch.max(x, dim). */
export function maxWithIndices(x: Tensor, axis: number, keepDim = false): { values: Tensor; indices: Tensor } {
  return extreme(x, axis, keepDim, 1, "max");
}

/**
 * Sums a broadcast gradient back to the shape of the input that was broadcast (the
 * backward of broadcasting).
 */
export function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.ndim - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.ndim; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  // Validates that the shapes were broadcast-compatible in the first place.
  broadcastShapes(g.shape, shape);
  return sum(g, axes, true).reshape(shape);
}
