/** Integer indexing: index-select (and embedding lookup, its most common use) and gather. */
import { ArgumentError, DTypeError, ShapeError } from "../../errors.js";
import { needsGrad } from "../autograd.js";
import { Tensor, type TensorData } from "../tensor.js";
import { formatShape, normAxis, sizeOf } from "../shape.js";

/** Index values as plain numbers, validated against `size`. */
export function indexValues(indices: Tensor, size: number, op: string): Int32Array {
  if (indices.dtype === "float32") throw new DTypeError(`${op}: indices must be int32 or int64, got float32`);
  const out = new Int32Array(indices.size);
  const src = indices.data;
  for (let i = 0; i < out.length; i++) {
    let v = Number(src[i]);
    if (v < 0) v += size;
    if (v < 0 || v >= size) {
      throw new ArgumentError(`${op}: index ${Number(src[i])} is out of range for a dimension of size ${size}`);
    }
    out[i] = v;
  }
  return out;
}

/**
 * Picks entries along `dim` by an index tensor of any shape; the result has the index shape
 * in place of `dim` (torch.index_select for 1-d indices, and embedding lookup).
 */
export function indexSelect(x: Tensor, dim: number, indices: Tensor): Tensor {
  const d = normAxis(dim, x.ndim);
  const size = x.shape[d];
  const idx = indexValues(indices, size, "indexSelect");
  const outer = sizeOf(x.shape.slice(0, d));
  const inner = sizeOf(x.shape.slice(d + 1));
  const shape = [...x.shape.slice(0, d), ...indices.shape, ...x.shape.slice(d + 1)];
  const C = x.data.constructor as { new (n: number): TensorData };
  const out = new C(outer * idx.length * inner) as Float32Array;
  const src = x.data as Float32Array;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < idx.length; i++) {
      const from = (o * size + idx[i]) * inner;
      out.set(src.subarray(from, from + inner), (o * idx.length + i) * inner);
    }
  }
  const result = new Tensor(out, shape);
  if (needsGrad(x)) {
    result.setGradFn({
      op: "indexSelect",
      inputs: [x],
      freshGrads: true,
      backward: (g) => {
        // Scatter-add: repeated indices (the same token twice) accumulate.
        const gd = g.f32();
        const gx = new Float32Array(x.size);
        for (let o = 0; o < outer; o++) {
          for (let i = 0; i < idx.length; i++) {
            const to = (o * size + idx[i]) * inner;
            const from = (o * idx.length + i) * inner;
            for (let j = 0; j < inner; j++) gx[to + j] += gd[from + j];
          }
        }
        return [new Tensor(gx, x.shape)];
      },
    });
  }
  return result;
}

/** Rows of `weight` [vocab, dim] for token ids of any shape: [...ids.shape, dim]. */
export function embedding(ids: Tensor, weight: Tensor): Tensor {
  if (weight.ndim !== 2) throw new ShapeError(`embedding: weight must be 2-d, got ${formatShape(weight.shape)}`);
  return indexSelect(weight, 0, ids);
}

/** out[i][j][k] = x[i][index[i][j][k]][k] for dim = 1 (torch.gather); index has x's rank. */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  const d = normAxis(dim, x.ndim);
  if (index.ndim !== x.ndim) throw new ShapeError(`gather: index rank ${index.ndim} differs from input rank ${x.ndim}`);
  for (let i = 0; i < x.ndim; i++) {
    if (i !== d && index.shape[i] > x.shape[i]) {
      throw new ShapeError(`gather: index shape ${formatShape(index.shape)} exceeds input ${formatShape(x.shape)} at dim ${i}`);
    }
  }
  const idx = indexValues(index, x.shape[d], "gather");
  const src = x.f32("gather");
  const out = new Float32Array(index.size);
  const flatIn = new Int32Array(index.size);
  const nd = x.ndim;
  const pos = new Array<number>(nd).fill(0);
  const inStrides = x.shape.map((_, i) => sizeOf(x.shape.slice(i + 1)));
  for (let n = 0; n < index.size; n++) {
    let off = 0;
    for (let k = 0; k < nd; k++) off += (k === d ? idx[n] : pos[k]) * inStrides[k];
    flatIn[n] = off;
    out[n] = src[off];
    for (let k = nd - 1; k >= 0; k--) {
      if (++pos[k] < index.shape[k]) break;
      pos[k] = 0;
    }
  }
  const result = new Tensor(out, index.shape);
  if (needsGrad(x)) {
    result.setGradFn({
      op: "gather",
      inputs: [x],
      freshGrads: true,
      backward: (g) => {
        const gd = g.f32();
        const gx = new Float32Array(x.size);
        for (let n = 0; n < gd.length; n++) gx[flatIn[n]] += gd[n];
        return [new Tensor(gx, x.shape)];
      },
    });
  }
  return result;
}

/**
 * x with its entries at `index` along `dim` replaced by `source`'s, in order (torch.index_copy):
 * source has x's shape with index.length in place of dim. Gradients reach both: x's through
 * the entries that were kept, source's from where its entries went. Indices must not repeat
 * (which copy would win is unspecified in torch).
 *
 * @example
 * indexCopy(zeros([4, 2]), 0, tensor([3, 1], { dtype: "int32" }), tensor([[1, 1], [2, 2]]));
 * // [[0, 0], [2, 2], [0, 0], [1, 1]]
 */
export function indexCopy(x: Tensor, dim: number, index: Tensor, source: Tensor): Tensor {
  const d = normAxis(dim, x.ndim);
  if (index.ndim !== 1) throw new ShapeError(`indexCopy: index must be 1-d, got ${formatShape(index.shape)}`);
  const size = x.shape[d];
  const idx = indexValues(index, size, "indexCopy");
  const expected = x.shape.map((n, i) => (i === d ? idx.length : n));
  if (source.ndim !== x.ndim || source.shape.some((n, i) => n !== expected[i])) {
    throw new ShapeError(`indexCopy: source ${formatShape(source.shape)} must be ${formatShape(expected)} (input ${formatShape(x.shape)}, ${idx.length} indices along dim ${d})`);
  }
  const seen = new Uint8Array(size);
  for (const i of idx) {
    if (seen[i]) throw new ArgumentError(`indexCopy: index ${i} appears twice; each entry can be replaced once`);
    seen[i] = 1;
  }
  const outer = sizeOf(x.shape.slice(0, d));
  const inner = sizeOf(x.shape.slice(d + 1));
  // Source block i goes to x's block idx[i], within each outer slice.
  const scatter = (dst: Float32Array, src: Float32Array) => {
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < idx.length; i++) dst.set(src.subarray((o * idx.length + i) * inner, (o * idx.length + i + 1) * inner), (o * size + idx[i]) * inner);
    }
  };
  const out = x.f32("indexCopy").slice();
  scatter(out, source.f32("indexCopy"));
  const result = new Tensor(out, x.shape);
  if (needsGrad(x, source)) {
    result.setGradFn({
      op: "indexCopy",
      inputs: [x, source],
      freshGrads: true,
      backward: (g) => {
        const gd = g.f32();
        const gx = gd.slice();
        const gs = new Float32Array(source.size);
        for (let o = 0; o < outer; o++) {
          for (let i = 0; i < idx.length; i++) {
            const at = (o * size + idx[i]) * inner;
            gs.set(gd.subarray(at, at + inner), (o * idx.length + i) * inner);
            gx.fill(0, at, at + inner);
          }
        }
        return [new Tensor(gx, x.shape), new Tensor(gs, source.shape)];
      },
    });
  }
  return result;
}
