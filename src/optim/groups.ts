import type { Tensor } from "../tensor/index.js";
import { type Module, Embedding, LayerNorm, RMSNorm } from "../nn/index.js";
import type { BaseHyper, ParamGroupSpec } from "./optimizer.js";

/** Decides, per parameter, that it gets no weight decay. */
export type NoDecayPredicate = (name: string, param: Tensor, owner: Module) => boolean;

/**
 * The usual rule: no decay on biases and other 0/1-d tensors (norm weights, CLIP's
 * class_embedding), on every norm and embedding table, and on raw embedding / token fields
 * (`position_embeddings`, `cls_token`). Conv and Linear weights decay, a patch embedding's too.
 */
export const defaultNoDecay: NoDecayPredicate = (name, param, owner) => {
  const field = name.slice(name.lastIndexOf(".") + 1);
  return (
    param.ndim < 2 ||
    field === "bias" ||
    owner instanceof LayerNorm ||
    owner instanceof RMSNorm ||
    owner instanceof Embedding ||
    /embed|token/i.test(field)
  );
};

export interface ParamGroupsNoDecayOptions<H extends BaseHyper> {
  weightDecay: number;
  noDecay?: NoDecayPredicate;
  /** Also include frozen parameters (default false: they would only carry empty state). */
  includeFrozen?: boolean;
  /** Extra hyperparameters for both groups (e.g. lr). */
  extra?: Partial<H>;
}

/**
 * Two parameter groups: "decay" (weightDecay) and "no_decay" (0), by `noDecay`.
 *
 * @example
 * const opt = new AdamW(paramGroupsNoDecay(model, { weightDecay: 0.1 }), { lr: 1e-4 });
 */
export function paramGroupsNoDecay<H extends BaseHyper = BaseHyper>(module: Module, options: ParamGroupsNoDecayOptions<H>): Array<ParamGroupSpec<H>> {
  const noDecay = options.noDecay ?? defaultNoDecay;
  const modules = new Map(module.namedModules());
  // The owner of "a.b.weight" is the module at "a.b" (or a shorter prefix, for tensor arrays).
  const ownerOf = (name: string): Module => {
    let path = name;
    while (path) {
      path = path.includes(".") ? path.slice(0, path.lastIndexOf(".")) : "";
      const m = modules.get(path);
      if (m) return m;
    }
    return module;
  };
  const decay: Tensor[] = [];
  const none: Tensor[] = [];
  for (const [name, p] of module.namedParameters()) {
    if (!p.requiresGrad && !options.includeFrozen) continue;
    (noDecay(name, p, ownerOf(name)) ? none : decay).push(p);
  }
  const extra = (options.extra ?? {}) as Partial<H>;
  return [
    { ...extra, params: decay, weightDecay: options.weightDecay, name: "decay" } as ParamGroupSpec<H>,
    { ...extra, params: none, weightDecay: 0, name: "no_decay" } as ParamGroupSpec<H>,
  ];
}
