/**
 * Weights held as 16-bit floats (F16 or BF16, as checkpoints store them) and the two ops that
 * read them without a float32 copy: a Linear layer and an embedding lookup. Activations stay
 * float32; each weight row is converted when it is used.
 */
import { ArgumentError, ShapeError } from "../../errors.js";
import { type HalfKind, getBackend } from "../../backend/index.js";
import { decodeHalf } from "../../backend/numerics/index.js";
import { needsGrad } from "../autograd.js";
import { Tensor } from "../tensor.js";
import { formatShape, sizeOf } from "../shape.js";
import { indexValues } from "./indexing.js";
import { sum } from "./reduce.js";

export type { HalfKind };

/**
 * A read-only tensor of 16-bit float bits: not a Tensor (ops cannot take it by mistake), not a
 * parameter (it is never trained). `toFloat32()` makes an ordinary Tensor.
 *
 * @example
 * const raw = openSafetensors("model.safetensors").readRaw("lm_head.weight"); // F16
 * const w = new HalfTensor(raw.bytes as Uint16Array, "f16", raw.shape);
 * linearHalf(x, w);   // [B, L, in] -> [B, L, out]
 */
export class HalfTensor {
  readonly bits: Uint16Array;
  readonly kind: HalfKind;
  readonly shape: readonly number[];

  constructor(bits: Uint16Array, kind: HalfKind, shape: readonly number[]) {
    if (sizeOf(shape) !== bits.length) {
      throw new ShapeError(`HalfTensor: shape ${formatShape(shape)} needs ${sizeOf(shape)} elements, got ${bits.length}`);
    }
    if (kind !== "f16" && kind !== "bf16") throw new ArgumentError(`HalfTensor: kind must be "f16" or "bf16", got "${kind}"`);
    this.bits = bits;
    this.kind = kind;
    this.shape = Object.freeze([...shape]);
  }

  get size(): number {
    return this.bits.length;
  }

  get ndim(): number {
    return this.shape.length;
  }

  toFloat32(): Tensor {
    const out = new Float32Array(this.size);
    decodeHalf(this.bits, this.kind, 0, this.size, out);
    return new Tensor(out, this.shape);
  }
}

/**
 * y = x @ weight^T + bias with a 16-bit weight [out, in], on the backend's `matmulHalfB`.
 * Gradients flow to x and bias (a frozen language model still passes gradients to a trained
 * projector), never to the weight.
 */
export function linearHalf(x: Tensor, weight: HalfTensor, bias?: Tensor | null): Tensor {
  if (weight.ndim !== 2) throw new ShapeError(`linearHalf: weight must be [out, in], got ${formatShape(weight.shape)}`);
  const [outFeatures, inFeatures] = weight.shape;
  if (x.ndim === 0 || x.shape[x.ndim - 1] !== inFeatures) {
    throw new ShapeError(`linearHalf: input ${formatShape(x.shape)} does not end in ${inFeatures} (weight ${formatShape(weight.shape)})`);
  }
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== outFeatures)) {
    throw new ShapeError(`linearHalf: bias ${formatShape(bias.shape)} does not match ${outFeatures} outputs`);
  }
  const rows = sizeOf(x.shape.slice(0, -1));
  const out = new Float32Array(rows * outFeatures);
  getBackend().matmulHalfB(x.f32("linearHalf"), weight.bits, weight.kind, out, {
    batch: 1, m: rows, n: outFeatures, k: inFeatures, transA: false, transB: true, strideA: 0, strideB: 0,
    bias: bias ? bias.f32("linearHalf") : undefined,
    cacheB: { key: weight, version: 0 },
  });
  const result = new Tensor(out, [...x.shape.slice(0, -1), outFeatures]);
  const inputs = bias ? [x, bias] : [x];
  if (needsGrad(...inputs)) {
    result.setGradFn({
      op: "linearHalf",
      inputs,
      backward: (g) => {
        let dx: Tensor | null = null;
        if (x.requiresGrad) {
          // dx = g @ W: W [out, in] read as B [K = out, N = in], not transposed.
          const d = new Float32Array(rows * inFeatures);
          getBackend().matmulHalfB(g.f32(), weight.bits, weight.kind, d, {
            batch: 1, m: rows, n: inFeatures, k: outFeatures, transA: false, transB: false, strideA: 0, strideB: 0,
          });
          dx = new Tensor(d, x.shape);
        }
        return [dx, bias?.requiresGrad ? sum(g.reshape(rows, outFeatures), 0) : null];
      },
    });
  }
  return result;
}

/** Rows of a 16-bit table [vocab, dim] for ids of any shape: float32 [...ids.shape, dim]. */
export function embeddingHalf(ids: Tensor, weight: HalfTensor): Tensor {
  if (weight.ndim !== 2) throw new ShapeError(`embeddingHalf: weight must be 2-d, got ${formatShape(weight.shape)}`);
  const [vocab, dim] = weight.shape;
  const idx = indexValues(ids, vocab, "embeddingHalf");
  const out = new Float32Array(idx.length * dim);
  for (let i = 0; i < idx.length; i++) decodeHalf(weight.bits, weight.kind, idx[i] * dim, dim, out, i * dim);
  return new Tensor(out, [...ids.shape, dim]);
}
