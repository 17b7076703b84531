/** Batched matrix products (transposed operands read in place) and the fused Linear layer. */
import { ShapeError } from "../../errors.js";
import { getBackend } from "../../backend/index.js";
import { needsGrad } from "../autograd.js";
import { takeFloat32 } from "../recycled.js";
import { Tensor } from "../tensor.js";
import { broadcastShapes, formatShape, sameShape, sizeOf } from "../shape.js";
import { expand } from "./layout.js";
import { sum, sumToShape } from "./reduce.js";

export interface MatmulOptions {
  /** Use A^T: a's last two dimensions are [K, M]. */
  transA?: boolean;
  /** Use B^T: b's last two dimensions are [N, K] (the Linear weight layout). */
  transB?: boolean;
}

/**
 * op(a) @ op(b) over the last two dimensions, broadcasting the leading (batch) dimensions as
 * torch.matmul does. A 1-d operand is a vector (a row for `a`, a column for `b`).
 *
 * @example
 * matmul(q, k, { transB: true });   // attention scores q @ k^T without copying k
 */
export function matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  if (a.ndim === 0 || b.ndim === 0) throw new ShapeError("matmul: operands must have at least one dimension");
  if (a.ndim === 1) return squeezeAt(matmul(a.reshape(1, -1), b, options), -2);
  if (b.ndim === 1) return squeezeAt(matmul(a, b.reshape(-1, 1), { ...options, transB: false }), -1);
  const transA = options.transA ?? false;
  const transB = options.transB ?? false;
  const [ar, ac] = a.shape.slice(-2);
  const [br, bc] = b.shape.slice(-2);
  const [m, k] = transA ? [ac, ar] : [ar, ac];
  const [kb, n] = transB ? [bc, br] : [br, bc];
  if (k !== kb) {
    throw new ShapeError(
      `matmul: inner dimensions differ: ${formatShape(a.shape)}${transA ? "^T" : ""} @ ${formatShape(b.shape)}${transB ? "^T" : ""} (${k} vs ${kb})`,
    );
  }
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  const batchShape = broadcastShapes(batchA, batchB);
  const batch = sizeOf(batchShape);
  // An operand that is neither the full batch nor a single matrix is materialised.
  const aFull = sizeOf(batchA) === 1 || sameShape(batchA, batchShape) ? a : expand(a, [...batchShape, ar, ac]);
  const bFull = sizeOf(batchB) === 1 || sameShape(batchB, batchShape) ? b : expand(b, [...batchShape, br, bc]);
  const out = takeFloat32(batch * m * n);
  getBackend().matmul(aFull.f32("matmul"), bFull.f32("matmul"), out, {
    batch, m, n, k, transA, transB,
    strideA: sizeOf(aFull.shape.slice(0, -2)) === 1 ? 0 : m * k,
    strideB: sizeOf(bFull.shape.slice(0, -2)) === 1 ? 0 : k * n,
  });
  const result = new Tensor(out, [...batchShape, m, n]);
  if (needsGrad(a, b)) {
    result.setGradFn({
      op: "matmul",
      inputs: [a, b],
      backward: (g) => [
        a.requiresGrad
          ? sumToShape(transA ? matmul(b, g, { transA: transB, transB: true }) : matmul(g, b, { transB: !transB }), a.shape)
          : null,
        b.requiresGrad
          ? sumToShape(transB ? matmul(g, a, { transA: true, transB: transA }) : matmul(a, g, { transA: !transA }), b.shape)
          : null,
      ],
    });
  }
  return result;
}

function squeezeAt(t: Tensor, dim: number): Tensor {
  const shape = [...t.shape];
  shape.splice(dim < 0 ? shape.length + dim : dim, 1);
  return t.reshape(shape);
}

/**
 * y = x @ weight^T + bias, with weight [out, in] as nn.Linear stores it. The backend may keep
 * the weight packed between calls (keyed by the tensor and its version).
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  if (weight.ndim !== 2) throw new ShapeError(`linear: weight must be [out, in], got ${formatShape(weight.shape)}`);
  const [outFeatures, inFeatures] = weight.shape;
  const inLast = x.shape[x.ndim - 1];
  if (x.ndim === 0 || inLast !== inFeatures) {
    throw new ShapeError(`linear: input ${formatShape(x.shape)} does not end in ${inFeatures} (weight ${formatShape(weight.shape)})`);
  }
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== outFeatures)) {
    throw new ShapeError(`linear: bias ${formatShape(bias.shape)} does not match ${outFeatures} outputs`);
  }
  // Not x.size / inFeatures: that is NaN when inFeatures = 0 (the output is then just the bias).
  const rows = sizeOf(x.shape.slice(0, -1));
  const out = takeFloat32(rows * outFeatures);
  getBackend().matmul(x.f32("linear"), weight.f32("linear"), out, {
    batch: 1, m: rows, n: outFeatures, k: inFeatures, transA: false, transB: true, strideA: 0, strideB: 0,
    bias: bias ? bias.f32("linear") : undefined,
    cacheB: { key: weight, version: weight.version },
  });
  const result = new Tensor(out, [...x.shape.slice(0, -1), outFeatures]);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  if (needsGrad(...inputs)) {
    result.setGradFn({
      op: "linear",
      inputs,
      freshGrads: true,
      // dx = g @ W, dW = g^T @ x, db = sum over rows of g; dx and dW in recycled storage.
      backward: (g) => {
        const be = getBackend();
        const gd = g.f32("linear");
        const product = (a: Float32Array, b: Float32Array, m: number, n: number, k: number, transA: boolean) => {
          const out = takeFloat32(m * n);
          be.matmul(a, b, out, { batch: 1, m, n, k, transA, transB: false, strideA: 0, strideB: 0 });
          return out;
        };
        return [
          x.requiresGrad ? new Tensor(product(gd, weight.f32(), rows, inFeatures, outFeatures, false), x.shape) : null,
          weight.requiresGrad ? new Tensor(product(gd, x.f32(), outFeatures, inFeatures, rows, true), weight.shape) : null,
          bias?.requiresGrad ? sum(g.reshape(rows, outFeatures), 0) : null,
        ];
      },
    });
  }
  return result;
}
