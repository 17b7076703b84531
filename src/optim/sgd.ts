import type { Tensor } from "../tensor/index.js";
import { ArgumentError } from "../errors.js";
import { type BaseHyper, Optimizer, type ParamGroup, type ParamGroupSpec, type ParamState } from "./optimizer.js";

export interface SGDHyper extends BaseHyper {
  momentum: number;
  dampening: number;
  nesterov: boolean;
}

const f = Math.fround;

/**
 * SGD as torch.optim.SGD: L2 weight decay added to the gradient, momentum buffer started from
 * the first gradient, optional dampening and Nesterov.
 *
 * @example
 * const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
 */
export class SGD extends Optimizer<SGDHyper> {
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupSpec<SGDHyper>>, options: Partial<SGDHyper> & { lr: number }) {
    super(params, { momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, ...options });
    for (const g of this.paramGroups) {
      if (g.nesterov && (g.momentum <= 0 || g.dampening !== 0)) throw new ArgumentError("SGD: nesterov needs momentum > 0 and dampening 0");
      if (!(g.lr >= 0) || !(g.momentum >= 0) || !(g.weightDecay >= 0)) throw new ArgumentError("SGD: lr, momentum and weightDecay must be non-negative");
    }
  }

  protected update(p: Float32Array, g: Float32Array, s: ParamState, group: ParamGroup<SGDHyper>): void {
    const { lr, momentum, dampening, nesterov, weightDecay } = group;
    const wd = f(weightDecay);
    const mom = f(momentum);
    const damp = f(1 - dampening);
    const negLr = f(-lr);
    const first = s.step === 0 || !s.buffers.momentum_buffer;
    const buf = momentum !== 0 ? (s.buffers.momentum_buffer ??= new Float32Array(p.length)) : null;
    s.step += 1;
    for (let i = 0; i < p.length; i++) {
      let d = g[i];
      if (weightDecay !== 0) d = f(d + f(p[i] * wd));
      if (buf) {
        buf[i] = first ? d : f(f(buf[i] * mom) + f(d * damp));
        d = nesterov ? f(d + f(buf[i] * mom)) : buf[i];
      }
      p[i] = f(p[i] + f(d * negLr));
    }
  }
}
