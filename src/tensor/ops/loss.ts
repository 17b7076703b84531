/** Losses. Cross-entropy works from logits through log-sum-exp, never through probabilities. */
import { ArgumentError, ShapeError } from "../../errors.js";
import { needsGrad } from "../autograd.js";
import { Tensor } from "../tensor.js";
import { formatShape } from "../shape.js";

export interface CrossEntropyOptions {
  /** Targets equal to this value contribute nothing (PyTorch's default -100). */
  ignoreIndex?: number;
  /** Mixes the one-hot target with the uniform distribution (PyTorch's label_smoothing). */
  labelSmoothing?: number;
  reduction?: "mean" | "sum" | "none";
}

/**
 * Cross-entropy between logits [..., C] (classes last) and integer targets [...], as
 * torch.nn.functional.cross_entropy; "mean" divides by the number of non-ignored targets.
 */
export function crossEntropy(logits: Tensor, targets: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const ignoreIndex = options.ignoreIndex ?? -100;
  const eps = options.labelSmoothing ?? 0;
  const reduction = options.reduction ?? "mean";
  if (!(eps >= 0 && eps <= 1)) throw new ArgumentError(`crossEntropy: labelSmoothing must be in [0, 1], got ${eps}`);
  if (logits.ndim < 1) throw new ShapeError("crossEntropy: logits need a class dimension");
  const classes = logits.shape[logits.ndim - 1];
  const rows = classes === 0 ? 0 : logits.size / classes;
  if (targets.size !== rows || targets.ndim !== logits.ndim - 1 || targets.shape.some((d, i) => d !== logits.shape[i])) {
    throw new ShapeError(`crossEntropy: targets ${formatShape(targets.shape)} do not match logits ${formatShape(logits.shape)} (classes last)`);
  }
  if (targets.dtype === "float32") throw new ArgumentError("crossEntropy: targets must be int32 or int64 class indices");
  const x = logits.f32("crossEntropy");
  const t = Int32Array.from(targets.data as ArrayLike<number | bigint>, Number);
  const losses = new Float32Array(rows);
  const lse = new Float64Array(rows);
  let count = 0;
  for (let r = 0; r < rows; r++) {
    const y = t[r];
    if (y === ignoreIndex) continue;
    if (y < 0 || y >= classes) throw new ArgumentError(`crossEntropy: target ${y} is out of range for ${classes} classes`);
    count++;
    const o = r * classes;
    let max = -Infinity;
    for (let j = 0; j < classes; j++) if (x[o + j] > max || Number.isNaN(x[o + j])) max = x[o + j];
    let s = 0;
    let sumLogits = 0;
    for (let j = 0; j < classes; j++) {
      s += Math.exp(x[o + j] - max);
      sumLogits += x[o + j];
    }
    lse[r] = max + Math.log(s);
    const nll = lse[r] - x[o + y];
    // Smoothed: (1 - eps) * nll + eps * mean_c(-log p_c)
    const uniform = lse[r] - sumLogits / classes;
    losses[r] = (1 - eps) * nll + eps * uniform;
  }
  let out: Tensor;
  if (reduction === "none") out = new Tensor(losses, targets.shape);
  else {
    let total = 0;
    for (let r = 0; r < rows; r++) total += losses[r];
    out = new Tensor(Float32Array.of(reduction === "sum" ? total : total / count), []);
  }
  if (needsGrad(logits)) {
    out.setGradFn({
      op: "crossEntropy",
      inputs: [logits],
      backward: (g) => {
        const gd = g.f32();
        const dx = new Float32Array(logits.size);
        for (let r = 0; r < rows; r++) {
          const y = t[r];
          if (y === ignoreIndex) continue;
          const scale = reduction === "none" ? gd[r] : reduction === "sum" ? gd[0] : gd[0] / count;
          const o = r * classes;
          // d/dlogits = softmax - target distribution
          for (let j = 0; j < classes; j++) {
            const target = (j === y ? 1 - eps : 0) + eps / classes;
            dx[o + j] = scale * (Math.exp(x[o + j] - lse[r]) - target);
          }
        }
        return [new Tensor(dx, logits.shape)];
      },
    });
  }
  return out;
}
