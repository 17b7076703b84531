/**
 * Optimizer base: parameter groups with their own hyperparameters, per-parameter state as
 * Float32Arrays, and a state dict that restores a run exactly (JSON metadata + tensors that a
 * safetensors writer can store).
 */
import { ArgumentError, StateDictError } from "../errors.js";
import { Tensor, noGrad } from "../tensor/index.js";
import { formatShape } from "../tensor/shape.js";

/** Hyperparameters every optimizer has. */
export interface BaseHyper {
  lr: number;
  weightDecay: number;
}

/** A group as the optimizer keeps it: its tensors and its hyperparameters. */
export type ParamGroup<H extends BaseHyper = BaseHyper> = H & {
  params: Tensor[];
  /** Optional label ("decay", "no_decay"), kept in the state dict. */
  name?: string;
};

/** A group as passed in: any hyperparameter left out takes the optimizer's default. */
export type ParamGroupSpec<H extends BaseHyper = BaseHyper> = Partial<H> & {
  params: Iterable<Tensor>;
  name?: string;
};

/** Per-parameter state: a step count and named Float32 buffers (moments). */
export interface ParamState {
  step: number;
  buffers: Record<string, Float32Array>;
}

type JsonValue = number | string | boolean | null | JsonValue[] | { [k: string]: JsonValue };

/**
 * A state dict split the way checkpoints store it: `meta` is plain JSON (group hyperparameters
 * with params as indices, step counts), `tensors` holds every buffer as a float32 Tensor with
 * its parameter's shape, keyed `state.<paramIndex>.<buffer>`. Parameter indices count across
 * groups in order, as in PyTorch.
 */
export interface OptimizerStateDict {
  meta: {
    optimizer: string;
    groups: Array<{ [key: string]: JsonValue; params: number[] }>;
    state: Array<{ param: number; step: number; buffers: string[] }>;
  };
  tensors: Map<string, Tensor>;
}

export abstract class Optimizer<H extends BaseHyper = BaseHyper> {
  readonly paramGroups: Array<ParamGroup<H>>;
  protected readonly state = new Map<Tensor, ParamState>();
  readonly defaults: H;

  constructor(params: Iterable<Tensor> | Iterable<ParamGroupSpec<H>>, defaults: H) {
    this.defaults = { ...defaults };
    const list = [...(params as Iterable<Tensor | ParamGroupSpec<H>>)];
    const specs: Array<ParamGroupSpec<H>> = list.every((p) => p instanceof Tensor)
      ? [{ params: list as Tensor[] } as unknown as ParamGroupSpec<H>]
      : (list as Array<ParamGroupSpec<H>>);
    const seen = new Set<Tensor>();
    this.paramGroups = specs.map((spec, gi) => {
      if (spec instanceof Tensor || !spec.params) throw new ArgumentError(`${this.constructor.name}: group ${gi} needs a params list (do not mix tensors and groups)`);
      const tensors = [...spec.params];
      for (const p of tensors) {
        if (!(p instanceof Tensor) || p.dtype !== "float32") throw new ArgumentError(`${this.constructor.name}: group ${gi} holds a non-float32 parameter`);
        if (seen.has(p)) throw new ArgumentError(`${this.constructor.name}: a parameter appears in more than one group (group ${gi})`);
        seen.add(p);
      }
      const group = { ...this.defaults } as ParamGroup<H>;
      for (const [k, v] of Object.entries(spec)) if (k !== "params" && v !== undefined) (group as unknown as Record<string, unknown>)[k] = v;
      group.params = tensors;
      return group;
    });
  }

  /** Drops the gradients of every parameter (PyTorch's set_to_none). */
  zeroGrad(): void {
    for (const g of this.paramGroups) for (const p of g.params) p.grad = null;
  }

  /** Updates every parameter that has a gradient, in place, and marks it changed. */
  step(): void {
    noGrad(() => {
      for (const group of this.paramGroups) {
        for (const p of group.params) {
          if (!p.grad) continue;
          if (p.grad.size !== p.size) {
            throw new ArgumentError(`${this.constructor.name}: gradient ${formatShape(p.grad.shape)} does not match parameter ${formatShape(p.shape)}`);
          }
          let s = this.state.get(p);
          if (!s) {
            s = { step: 0, buffers: {} };
            this.state.set(p, s);
          }
          this.update(p.data as Float32Array, p.grad.f32("optimizer step"), s, group);
          p.markChanged();
        }
      }
    });
  }

  /** One parameter's update: write `param` in place, keep moments in `state.buffers`. */
  protected abstract update(param: Float32Array, grad: Float32Array, state: ParamState, group: ParamGroup<H>): void;

  /** Per-parameter state, for inspection and tests. */
  stateOf(p: Tensor): ParamState | undefined {
    return this.state.get(p);
  }

  /** A copy of the full state; see OptimizerStateDict. */
  stateDict(): OptimizerStateDict {
    const tensors = new Map<string, Tensor>();
    const state: OptimizerStateDict["meta"]["state"] = [];
    const groups: OptimizerStateDict["meta"]["groups"] = [];
    let index = 0;
    for (const group of this.paramGroups) {
      const meta: { [key: string]: JsonValue; params: number[] } = { params: [] };
      for (const [k, v] of Object.entries(group)) if (k !== "params") meta[k] = v as JsonValue;
      for (const p of group.params) {
        meta.params.push(index);
        const s = this.state.get(p);
        if (s) {
          state.push({ param: index, step: s.step, buffers: Object.keys(s.buffers) });
          for (const [name, buf] of Object.entries(s.buffers)) tensors.set(`state.${index}.${name}`, new Tensor(buf.slice(), p.shape));
        }
        index++;
      }
      groups.push(meta);
    }
    return { meta: { optimizer: this.constructor.name, groups, state }, tensors };
  }

  /**
   * Restores a state dict made by `stateDict()` of the same optimizer over the same parameter
   * list (same groups, same order): hyperparameters (lr included), step counts and moments,
   * bit for bit. Checks everything before changing anything.
   */
  loadStateDict(sd: OptimizerStateDict): void {
    const { meta, tensors } = sd;
    const name = this.constructor.name;
    if (meta.optimizer !== name) throw new ArgumentError(`${name}.loadStateDict: state dict is from ${meta.optimizer}`);
    if (meta.groups.length !== this.paramGroups.length) {
      throw new ArgumentError(`${name}.loadStateDict: ${meta.groups.length} groups in the state dict, ${this.paramGroups.length} in the optimizer`);
    }
    const params: Tensor[] = [];
    meta.groups.forEach((g, gi) => {
      const mine = this.paramGroups[gi].params;
      if (g.params.length !== mine.length) {
        throw new ArgumentError(`${name}.loadStateDict: group ${gi} has ${g.params.length} parameters in the state dict, ${mine.length} in the optimizer`);
      }
      g.params.forEach((idx, j) => (params[idx] = mine[j]));
    });
    const missing: string[] = [];
    const mismatched: string[] = [];
    const restored = new Map<Tensor, ParamState>();
    const used = new Set<string>();
    for (const entry of meta.state) {
      const p = params[entry.param];
      if (!p) throw new ArgumentError(`${name}.loadStateDict: state for parameter ${entry.param}, which no group holds`);
      const buffers: Record<string, Float32Array> = {};
      for (const b of entry.buffers) {
        const key = `state.${entry.param}.${b}`;
        const t = tensors.get(key);
        used.add(key);
        if (!t) missing.push(key);
        else if (t.dtype !== "float32" || t.size !== p.size) mismatched.push(`${key}: expected float32 ${formatShape(p.shape)}, got ${t.dtype} ${formatShape(t.shape)}`);
        else buffers[b] = (t.data as Float32Array).slice();
      }
      restored.set(p, { step: entry.step, buffers });
    }
    const unexpected = [...tensors.keys()].filter((k) => !used.has(k));
    if (missing.length || mismatched.length || unexpected.length) throw new StateDictError(missing, unexpected, mismatched);
    meta.groups.forEach((g, gi) => {
      const group = this.paramGroups[gi] as unknown as Record<string, unknown>;
      for (const [k, v] of Object.entries(g)) if (k !== "params") group[k] = Array.isArray(v) ? [...v] : v;
    });
    this.state.clear();
    for (const [p, s] of restored) this.state.set(p, s);
  }
}
