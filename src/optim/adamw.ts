import type { Tensor } from "../tensor/index.js";
import { getBackend } from "../backend/index.js";
import { ArgumentError } from "../errors.js";
import { type BaseHyper, Optimizer, type ParamGroup, type ParamGroupSpec, type ParamState } from "./optimizer.js";

export interface AdamWHyper extends BaseHyper {
  betas: [number, number];
  eps: number;
}

const f = Math.fround;

/**
 * AdamW with PyTorch's semantics and defaults (lr 1e-3, betas [0.9, 0.999], eps 1e-8,
 * weightDecay 1e-2): decoupled decay p -= lr * wd * p before the Adam step, bias-corrected
 * moments, eps added outside the square root. Float32 rounding follows torch's in-place ops,
 * so a step agrees with torch.optim.AdamW to ~1 ulp.
 *
 * @example
 * const opt = new AdamW(paramGroupsNoDecay(model, { weightDecay: 0.1 }), { lr: 3e-4 });
 * loss.backward(); opt.step(); opt.zeroGrad();
 */
export class AdamW extends Optimizer<AdamWHyper> {
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupSpec<AdamWHyper>>, options: Partial<AdamWHyper> = {}) {
    super(params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, ...options });
    for (const g of this.paramGroups) {
      const [b1, b2] = g.betas;
      if (!(b1 >= 0 && b1 < 1 && b2 >= 0 && b2 < 1)) throw new ArgumentError(`AdamW: betas must be in [0, 1), got [${b1}, ${b2}]`);
      if (!(g.lr >= 0) || !(g.eps >= 0) || !(g.weightDecay >= 0)) throw new ArgumentError("AdamW: lr, eps and weightDecay must be non-negative");
    }
  }

  protected update(p: Float32Array, g: Float32Array, s: ParamState, group: ParamGroup<AdamWHyper>): void {
    const { lr, eps, weightDecay } = group;
    const [beta1, beta2] = group.betas;
    const m = (s.buffers.exp_avg ??= new Float32Array(p.length));
    const v = (s.buffers.exp_avg_sq ??= new Float32Array(p.length));
    s.step += 1;
    const decay = f(1 - lr * weightDecay);
    const a1 = f(1 - beta1);
    const a2 = f(1 - beta2);
    const b1 = f(beta1);
    const b2 = f(beta2);
    const stepSize = f(-(lr / (1 - beta1 ** s.step)));
    const bc2Sqrt = f(Math.sqrt(1 - beta2 ** s.step));
    const e = f(eps);
    // p * 1 is p exactly, so decay 1 stands for "no weight decay" (not 1 - lr * 0: lr may be inf).
    const scalars = { decay: weightDecay !== 0 ? decay : 1, beta1: b1, beta2: b2, oneMinusBeta1: a1, oneMinusBeta2: a2, stepSize, bc2Sqrt, eps: e };
    // One fused pass per parameter.
    getBackend().adamwStep(p, g, m, v, scalars);
  }
}
