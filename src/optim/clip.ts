import { ArgumentError } from "../errors.js";
import { Tensor } from "../tensor/index.js";

/**
 * Scales all gradients together so their global norm is at most `maxNorm`, as
 * torch.nn.utils.clip_grad_norm_ (coefficient maxNorm / (norm + 1e-6), applied only when
 * below 1). Returns the norm before clipping. Parameters without a gradient are skipped.
 * Gradients are replaced, not written in place: backward may share one storage between
 * several gradients.
 *
 * @example
 * const norm = clipGradNorm(model.parameters(), 1.0);
 */
export function clipGradNorm(params: Iterable<Tensor>, maxNorm: number, normType = 2): number {
  if (!(maxNorm >= 0)) throw new ArgumentError(`clipGradNorm: maxNorm must be non-negative, got ${maxNorm}`);
  if (!(normType > 0)) throw new ArgumentError(`clipGradNorm: normType must be positive, got ${normType}`);
  const withGrad = [...params].filter((p) => p.grad);
  if (withGrad.length === 0) return 0;
  let total = 0;
  for (const p of withGrad) {
    const g = p.grad!.f32("clipGradNorm");
    if (normType === Infinity) {
      for (let i = 0; i < g.length; i++) total = Math.max(total, Math.abs(g[i]));
    } else if (normType === 2) {
      for (let i = 0; i < g.length; i++) total += g[i] * g[i];
    } else {
      for (let i = 0; i < g.length; i++) total += Math.abs(g[i]) ** normType;
    }
  }
  if (normType === 2) total = Math.sqrt(total);
  else if (normType !== Infinity) total = total ** (1 / normType);
  total = Math.fround(total);
  const coef = Math.fround(maxNorm / (total + 1e-6));
  if (coef < 1) {
    for (const p of withGrad) {
      const g = p.grad!.f32();
      const out = new Float32Array(g.length);
      for (let i = 0; i < g.length; i++) out[i] = g[i] * coef;
      p.grad = new Tensor(out, p.grad!.shape);
    }
  }
  return total;
}
