/** Layer norm and RMS norm over the last dimension, fused on the backend. */
import { ShapeError } from "../../errors.js";
import { getBackend } from "../../backend/index.js";
import { needsGrad } from "../autograd.js";
import { takeFloat32 } from "../recycled.js";
import { Tensor } from "../tensor.js";
import { formatShape } from "../shape.js";

function checkAffine(x: Tensor, p: Tensor | null | undefined, what: string, op: string): void {
  const d = x.shape[x.ndim - 1];
  if (p && (p.ndim !== 1 || p.shape[0] !== d)) {
    throw new ShapeError(`${op}: ${what} ${formatShape(p.shape)} does not match the last dimension ${d} of ${formatShape(x.shape)}`);
  }
}

/**
 * (x - mean) / sqrt(var + eps) * weight + bias over the last dimension (biased variance, as
 * torch.nn.LayerNorm).
 */
export function layerNorm(x: Tensor, weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  if (x.ndim === 0) throw new ShapeError("layerNorm: input must have at least one dimension");
  checkAffine(x, weight, "weight", "layerNorm");
  checkAffine(x, bias, "bias", "layerNorm");
  const cols = x.shape[x.ndim - 1];
  const rows = cols === 0 ? 0 : x.size / cols;
  const out = takeFloat32(x.size);
  const mean = new Float32Array(rows);
  const rstd = new Float32Array(rows);
  const xd = x.f32("layerNorm");
  const w = weight ? weight.f32("layerNorm") : null;
  getBackend().layerNorm(xd, w, bias ? bias.f32("layerNorm") : null, out, rows, cols, eps, mean, rstd);
  const y = new Tensor(out, x.shape);
  const inputs = [x, weight, bias].filter((t): t is Tensor => !!t);
  if (needsGrad(...inputs)) {
    y.setGradFn({
      op: "layerNorm",
      inputs,
      freshGrads: true,
      // dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)), dxhat = g * w;
      // dw = sum_rows(g * xhat), db = sum_rows(g): fused on the backend.
      backward: (g) => {
        const dx = takeFloat32(x.size);
        const dw = weight?.requiresGrad ? new Float32Array(cols) : null;
        const db = bias?.requiresGrad ? new Float32Array(cols) : null;
        getBackend().layerNormBackward(xd, w, mean, rstd, g.f32(), dx, dw, db, rows, cols);
        const grads: Array<Tensor | null> = [x.requiresGrad ? new Tensor(dx, x.shape) : null];
        if (weight) grads.push(dw && new Tensor(dw, [cols]));
        if (bias) grads.push(db && new Tensor(db, [cols]));
        return grads;
      },
    });
  }
  return y;
}

/** x / sqrt(mean(x^2) + eps) * weight over the last dimension (Llama's RMSNorm). */
export function rmsNorm(x: Tensor, weight?: Tensor | null, eps = 1e-6): Tensor {
  if (x.ndim === 0) throw new ShapeError("rmsNorm: input must have at least one dimension");
  checkAffine(x, weight, "weight", "rmsNorm");
  const cols = x.shape[x.ndim - 1];
  const rows = cols === 0 ? 0 : x.size / cols;
  const out = takeFloat32(x.size);
  const rstd = new Float32Array(rows);
  const xd = x.f32("rmsNorm");
  const w = weight ? weight.f32("rmsNorm") : null;
  getBackend().rmsNorm(xd, w, out, rows, cols, eps, rstd);
  const y = new Tensor(out, x.shape);
  const inputs = weight ? [x, weight] : [x];
  if (needsGrad(...inputs)) {
    y.setGradFn({
      op: "rmsNorm",
      inputs,
      freshGrads: true,
      // dx = s * gw - x * s^3 * mean(gw * x), gw = g * w, s = rstd; dw = sum_rows(g * x * s)
      backward: (g) => {
        const dx = takeFloat32(x.size);
        const dw = weight?.requiresGrad ? new Float32Array(cols) : null;
        getBackend().rmsNormBackward(xd, w, rstd, g.f32(), dx, dw, rows, cols);
        const gx = x.requiresGrad ? new Tensor(dx, x.shape) : null;
        return weight ? [gx, dw && new Tensor(dw, [cols])] : [gx];
      },
    });
  }
  return y;
}
