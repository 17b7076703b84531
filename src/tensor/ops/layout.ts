/**
 * Shape and layout ops: permute/transpose, slicing, concat/stack/split, squeeze/unsqueeze,
 * expand. Storage is always contiguous, so permute and slice copy; reshape (on Tensor) does not.
 */
import { ArgumentError, ShapeError } from "../../errors.js";
import { needsGrad } from "../autograd.js";
import { Tensor, type TensorData } from "../tensor.js";
import { broadcastShapes, broadcastStrides, formatShape, normAxis, sameShape, sizeOf, stridesOf } from "../shape.js";
import { sumToShape } from "./reduce.js";

function allocLike(t: Tensor, n: number): TensorData {
  const C = t.data.constructor as { new (n: number): TensorData };
  return new C(n);
}

/** Reorders dimensions: out.shape[i] = x.shape[dims[i]]. */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  const nd = x.ndim;
  if (dims.length !== nd) throw new ArgumentError(`permute: got ${dims.length} dims for a ${nd}-d tensor`);
  const perm = dims.map((d) => normAxis(d, nd));
  if (new Set(perm).size !== nd) throw new ArgumentError(`permute: dims ${formatShape(dims)} repeat an axis`);
  const shape = perm.map((d) => x.shape[d]);
  const inStrides = stridesOf(x.shape);
  const strides = perm.map((d) => inStrides[d]);
  const src = x.data;
  const out = allocLike(x, x.size);
  const n = x.size;
  if (src instanceof Float32Array && nd > 0 && n > 0) {
    permuteF32(src, out as Float32Array, shape, strides);
  } else if (nd > 0 && n > 0) {
    // Copy contiguous runs of the innermost output dimension with the matching input stride.
    const last = shape[nd - 1];
    const lastStride = strides[nd - 1];
    const idx = new Array<number>(nd).fill(0);
    let base = 0;
    for (let o = 0; o < n; o += last) {
      for (let j = 0; j < last; j++) (out as Float32Array)[o + j] = (src as Float32Array)[base + j * lastStride];
      for (let d = nd - 2; d >= 0; d--) {
        idx[d]++;
        base += strides[d];
        if (idx[d] < shape[d]) break;
        base -= strides[d] * shape[d];
        idx[d] = 0;
      }
    }
  } else if (n > 0) {
    out[0] = src[0];
  }
  const result = new Tensor(out, shape);
  if (needsGrad(x)) {
    const inverse = new Array<number>(nd);
    perm.forEach((d, i) => (inverse[d] = i));
    result.setGradFn({ op: "permute", inputs: [x], backward: (g) => [permute(g, inverse)] });
  }
  return result;
}

/**
 * The float32 permute copy, kept monomorphic (one array type at each access) so V8 compiles the
 * inner loop to plain loads and stores: it runs around every attention in training and on
 * backends without packed-head attention.
 */
function permuteF32(src: Float32Array, out: Float32Array, shape: readonly number[], strides: readonly number[]): void {
  const nd = shape.length;
  const n = out.length;
  const last = shape[nd - 1];
  const lastStride = strides[nd - 1];
  const idx = new Int32Array(nd);
  let base = 0;
  for (let o = 0; o < n; o += last) {
    if (lastStride === 1) {
      for (let j = 0; j < last; j++) out[o + j] = src[base + j];
    } else {
      for (let j = 0, from = base; j < last; j++, from += lastStride) out[o + j] = src[from];
    }
    for (let d = nd - 2; d >= 0; d--) {
      idx[d]++;
      base += strides[d];
      if (idx[d] < shape[d]) break;
      base -= strides[d] * shape[d];
      idx[d] = 0;
    }
  }
}

/** Swaps two dimensions. */
export function transpose(x: Tensor, dim0 = -2, dim1 = -1): Tensor {
  const dims = [...x.shape.keys()];
  const a = normAxis(dim0, x.ndim);
  const b = normAxis(dim1, x.ndim);
  [dims[a], dims[b]] = [dims[b], dims[a]];
  return permute(x, dims);
}

/** Elements [start, end) of one dimension, with an optional step (negative indices count from the end). */
export function slice(x: Tensor, dim: number, start: number, end?: number, step = 1): Tensor {
  const d = normAxis(dim, x.ndim);
  const size = x.shape[d];
  if (step <= 0 || !Number.isInteger(step)) throw new ArgumentError(`slice: step must be a positive integer, got ${step}`);
  const clampIndex = (i: number) => Math.min(Math.max(i < 0 ? i + size : i, 0), size);
  const s = clampIndex(start);
  const e = Math.max(s, clampIndex(end ?? size));
  const len = Math.ceil((e - s) / step);
  const shape = [...x.shape];
  shape[d] = len;
  const outer = sizeOf(x.shape.slice(0, d));
  const inner = sizeOf(x.shape.slice(d + 1));
  const out = allocLike(x, outer * len * inner);
  const src = x.data as Float32Array;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < len; i++) {
      const from = (o * size + s + i * step) * inner;
      (out as Float32Array).set(src.subarray(from, from + inner), (o * len + i) * inner);
    }
  }
  const result = new Tensor(out, shape);
  if (needsGrad(x)) {
    result.setGradFn({
      op: "slice",
      inputs: [x],
      backward: (g) => {
        const gd = g.f32();
        const gx = new Float32Array(x.size);
        for (let o = 0; o < outer; o++) {
          for (let i = 0; i < len; i++) {
            const to = (o * size + s + i * step) * inner;
            const from = (o * len + i) * inner;
            for (let j = 0; j < inner; j++) gx[to + j] += gd[from + j];
          }
        }
        return [new Tensor(gx, x.shape)];
      },
    });
  }
  return result;
}

/** Joins tensors along an existing dimension. */
export function concat(xs: readonly Tensor[], dim = 0): Tensor {
  if (xs.length === 0) throw new ArgumentError("concat: needs at least one tensor");
  const first = xs[0];
  const d = normAxis(dim, first.ndim);
  for (const t of xs) {
    if (t.ndim !== first.ndim || t.dtype !== first.dtype || t.shape.some((s, i) => i !== d && s !== first.shape[i])) {
      throw new ShapeError(`concat along ${dim}: shapes ${xs.map((u) => formatShape(u.shape)).join(", ")} do not fit (dtype ${xs.map((u) => u.dtype).join(", ")})`);
    }
  }
  const outer = sizeOf(first.shape.slice(0, d));
  const inner = sizeOf(first.shape.slice(d + 1));
  const total = xs.reduce((p, t) => p + t.shape[d], 0);
  const shape = [...first.shape];
  shape[d] = total;
  const out = allocLike(first, outer * total * inner);
  let offset = 0;
  for (const t of xs) {
    const chunk = t.shape[d] * inner;
    const src = t.data as Float32Array;
    for (let o = 0; o < outer; o++) {
      (out as Float32Array).set(src.subarray(o * chunk, (o + 1) * chunk), o * total * inner + offset);
    }
    offset += chunk;
  }
  const result = new Tensor(out, shape);
  if (needsGrad(...xs)) {
    result.setGradFn({
      op: "concat",
      inputs: xs,
      backward: (g) => {
        let start = 0;
        return xs.map((t) => {
          const piece = slice(g, d, start, start + t.shape[d]);
          start += t.shape[d];
          return piece;
        });
      },
    });
  }
  return result;
}

/** Joins same-shaped tensors along a new dimension. */
export function stack(xs: readonly Tensor[], dim = 0): Tensor {
  if (xs.length === 0) throw new ArgumentError("stack: needs at least one tensor");
  const d = normAxis(dim, xs[0].ndim + 1);
  for (const t of xs) {
    if (!sameShape(t.shape, xs[0].shape)) {
      throw new ShapeError(`stack: all tensors need the same shape, got ${xs.map((u) => formatShape(u.shape)).join(", ")}`);
    }
  }
  return concat(xs.map((t) => unsqueeze(t, d)), d);
}

/** Splits into pieces of `sizes` (an array) or of equal `size` (the last may be smaller). */
export function split(x: Tensor, sizes: number | readonly number[], dim = 0): Tensor[] {
  const d = normAxis(dim, x.ndim);
  const n = x.shape[d];
  let list: number[];
  if (typeof sizes === "number") {
    if (sizes <= 0) throw new ArgumentError(`split: size must be positive, got ${sizes}`);
    list = [];
    for (let s = 0; s < n; s += sizes) list.push(Math.min(sizes, n - s));
  } else {
    list = [...sizes];
    if (list.reduce((p, v) => p + v, 0) !== n) {
      throw new ShapeError(`split: sizes ${formatShape(list)} do not add up to ${n} along dim ${dim}`);
    }
  }
  let start = 0;
  return list.map((len) => {
    const piece = slice(x, d, start, start + len);
    start += len;
    return piece;
  });
}

/** Splits into `chunks` nearly equal pieces, as torch.chunk. */
export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  const n = x.shape[normAxis(dim, x.ndim)];
  return split(x, Math.ceil(n / chunks), dim);
}

export function unsqueeze(x: Tensor, dim: number): Tensor {
  const d = normAxis(dim, x.ndim + 1);
  const shape = [...x.shape];
  shape.splice(d, 0, 1);
  return x.reshape(shape);
}

/** Removes size-1 dimensions (all of them, or just `dim`). */
export function squeeze(x: Tensor, dim?: number): Tensor {
  if (dim === undefined) return x.reshape(x.shape.filter((s) => s !== 1));
  const d = normAxis(dim, x.ndim);
  if (x.shape[d] !== 1) return x;
  return x.reshape(x.shape.filter((_, i) => i !== d));
}

/** Merges dimensions start..end into one. */
export function flatten(x: Tensor, start = 0, end = -1): Tensor {
  if (x.ndim === 0) return x.reshape([1]);
  const s = normAxis(start, x.ndim);
  const e = normAxis(end, x.ndim);
  const shape = [...x.shape.slice(0, s), sizeOf(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)];
  return x.reshape(shape);
}

/** Materialised broadcast to `shape` (the gradient sums back). */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  const target = shape.map((s, i) => (s === -1 ? x.shape[i - (shape.length - x.ndim)] : s));
  const full = broadcastShapes(x.shape, target);
  if (!sameShape(full, target)) throw new ShapeError(`expand: cannot expand ${formatShape(x.shape)} to ${formatShape(shape)}`);
  if (sameShape(x.shape, target)) return x;
  const strides = broadcastStrides(x.shape, target);
  const n = sizeOf(target);
  const out = allocLike(x, n);
  const src = x.data as Float32Array;
  const nd = target.length;
  const idx = new Array<number>(nd).fill(0);
  let from = 0;
  for (let i = 0; i < n; i++) {
    (out as Float32Array)[i] = src[from];
    for (let k = nd - 1; k >= 0; k--) {
      idx[k]++;
      from += strides[k];
      if (idx[k] < target[k]) break;
      from -= strides[k] * target[k];
      idx[k] = 0;
    }
  }
  const result = new Tensor(out, target);
  if (needsGrad(x)) result.setGradFn({ op: "expand", inputs: [x], backward: (g) => [sumToShape(g, x.shape)] });
  return result;
}
