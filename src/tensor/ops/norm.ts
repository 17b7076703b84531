/** Layer norm and RMS norm over the last dimension, fused on the backend. */
import { ShapeError } from "../../errors.js";
import { getBackend } from "../../backend/index.js";
import { needsGrad } from "../autograd.js";
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
  const out = new Float32Array(x.size);
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
      backward: (g) => {
        const gd = g.f32();
        const dx = new Float32Array(x.size);
        const dw = new Float32Array(cols);
        const db = new Float32Array(cols);
        for (let r = 0; r < rows; r++) {
          const o = r * cols;
          // dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)), dxhat = g * w
          let sumDxhat = 0;
          let sumDxhatXhat = 0;
          for (let j = 0; j < cols; j++) {
            const xhat = (xd[o + j] - mean[r]) * rstd[r];
            const dxhat = gd[o + j] * (w ? w[j] : 1);
            sumDxhat += dxhat;
            sumDxhatXhat += dxhat * xhat;
            dw[j] += gd[o + j] * xhat;
            db[j] += gd[o + j];
          }
          const m1 = sumDxhat / cols;
          const m2 = sumDxhatXhat / cols;
          for (let j = 0; j < cols; j++) {
            const xhat = (xd[o + j] - mean[r]) * rstd[r];
            const dxhat = gd[o + j] * (w ? w[j] : 1);
            dx[o + j] = rstd[r] * (dxhat - m1 - xhat * m2);
          }
        }
        const grads: Array<Tensor | null> = [new Tensor(dx, x.shape)];
        if (weight) grads.push(new Tensor(dw, [cols]));
        if (bias) grads.push(new Tensor(db, [cols]));
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
  const out = new Float32Array(x.size);
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
      backward: (g) => {
        const gd = g.f32();
        const dx = new Float32Array(x.size);
        const dw = new Float32Array(cols);
        for (let r = 0; r < rows; r++) {
          const o = r * cols;
          const s = rstd[r];
          // dx = s * gw - x * s^3 * mean(gw * x), gw = g * w
          let dot = 0;
          for (let j = 0; j < cols; j++) {
            dot += gd[o + j] * (w ? w[j] : 1) * xd[o + j];
            dw[j] += gd[o + j] * xd[o + j] * s;
          }
          const c = (s * s * s * dot) / cols;
          for (let j = 0; j < cols; j++) dx[o + j] = s * gd[o + j] * (w ? w[j] : 1) - xd[o + j] * c;
        }
        return weight ? [new Tensor(dx, x.shape), new Tensor(dw, [cols])] : [new Tensor(dx, x.shape)];
      },
    });
  }
  return y;
}
