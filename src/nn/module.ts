/**
 * The Module base: parameters are found by walking a module's own fields, so a state-dict key
 * is the attribute path (`encoder.layers.0.self_attn.q_proj.weight`) and a model whose field
 * names equal the Hugging Face checkpoint keys loads that checkpoint with no rename table.
 *
 * The rule, applied to each own enumerable field in definition order:
 * - a name starting with `_` is private (caches, config copies, back-references): skipped;
 * - `null` / `undefined` (an absent bias) and non-tensor, non-module values: skipped;
 * - a Tensor registered with `registerBuffer(name, ...)`: a buffer (saved in the state dict when
 *   persistent, never trained), e.g. `position_ids`;
 * - any other Tensor: a parameter. It must be float32. Freezing (`requiresGrad_(false)`) does
 *   not stop it being a parameter: it stays in the state dict and in `parameters()`;
 * - a Module: a child, its keys prefixed with the field name;
 * - an array of Modules (or of Tensors): children (parameters) keyed `field.0`, `field.1`, ...
 *   (prefer `ModuleList`, which is the same thing with a name).
 *
 * There is no magic `__call__`: every module defines its own typed `forward(...)`.
 */
import { ArgumentError, DTypeError, StateDictError } from "../errors.js";
import { Tensor } from "../tensor/index.js";
import { formatShape } from "../tensor/shape.js";

/** A state dict: key (attribute path) -> tensor, in definition order. */
export type StateDict = Map<string, Tensor>;

/** What `loadStateDict` accepts: a Map (e.g. from a safetensors file) or a plain record. */
export type StateDictLike = ReadonlyMap<string, Tensor> | Readonly<Record<string, Tensor>>;

export interface LoadStateDictOptions {
  /** Throw on missing or unexpected keys (default true). Mis-shaped keys always throw. */
  strict?: boolean;
}

export interface LoadStateDictResult {
  missing: string[];
  unexpected: string[];
}

/** One tensor found by the walk. */
interface Member {
  name: string;
  tensor: Tensor;
  kind: "parameter" | "buffer";
  persistent: boolean;
}

/**
 * Marks a tensor as trainable and returns it: `this.weight = param(zeros([out, in]))`.
 * (Any public float32 tensor field is a parameter anyway; this sets `requiresGrad`.)
 */
export function param(t: Tensor): Tensor {
  return t.setRequiresGrad(true);
}

function isModuleArray(v: unknown): v is Module[] {
  return Array.isArray(v) && v.length > 0 && v.every((m) => m instanceof Module);
}

function isTensorArray(v: unknown): v is Tensor[] {
  return Array.isArray(v) && v.length > 0 && v.every((t) => t instanceof Tensor);
}

function join(prefix: string, name: string): string {
  return prefix ? `${prefix}.${name}` : name;
}

/**
 * Base class of every layer and model.
 *
 * @example
 * class Block extends Module {
 *   fc1 = new Linear(4, 8);
 *   fc2 = new Linear(8, 4);
 *   forward(x: Tensor): Tensor { return this.fc2.forward(relu(this.fc1.forward(x))); }
 * }
 * const b = new Block();
 * [...b.stateDict().keys()];   // ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
 * b.numParameters();           // 76
 */
export abstract class Module {
  /** Dropout and friends read this; set recursively by `train()` / `eval()`. */
  training = true;
  /** Buffer field name -> persistent (saved in the state dict). */
  private readonly _buffers = new Map<string, boolean>();

  /**
   * Declares field `name` a buffer (a tensor saved with the model but never trained) and sets
   * it. Use as a field initialiser: `position_ids = this.registerBuffer("position_ids", t)`.
   */
  protected registerBuffer<T extends Tensor | null>(name: string, tensor: T, options: { persistent?: boolean } = {}): T {
    if (name.startsWith("_")) throw new ArgumentError(`registerBuffer: "${name}" starts with "_", so the walk would skip it`);
    this._buffers.set(name, options.persistent ?? true);
    (this as unknown as Record<string, unknown>)[name] = tensor;
    return tensor;
  }

  /**
   * Direct children as [field name, module]. ModuleList overrides this to yield its items;
   * other modules rarely need to.
   */
  *namedChildren(): IterableIterator<[string, Module]> {
    for (const [key, value] of Object.entries(this)) {
      if (key.startsWith("_")) continue;
      if (value instanceof Module) yield [key, value];
      else if (isModuleArray(value)) for (let i = 0; i < value.length; i++) yield [`${key}.${i}`, value[i]];
    }
  }

  /** This module's own tensors (not its children's), in field order. */
  private *ownMembers(): IterableIterator<Member> {
    for (const [key, value] of Object.entries(this)) {
      if (key.startsWith("_")) continue;
      const persistent = this._buffers.get(key);
      if (value instanceof Tensor) {
        if (persistent !== undefined) {
          yield { name: key, tensor: value, kind: "buffer", persistent };
        } else {
          if (value.dtype !== "float32") {
            throw new DTypeError(
              `${this.constructor.name}.${key} is a ${value.dtype} tensor: parameters must be float32; declare it with registerBuffer("${key}", ...) or name it "_${key}"`,
            );
          }
          yield { name: key, tensor: value, kind: "parameter", persistent: true };
        }
      } else if (isTensorArray(value)) {
        for (let i = 0; i < value.length; i++) {
          yield { name: `${key}.${i}`, tensor: value[i], kind: persistent === undefined ? "parameter" : "buffer", persistent: persistent ?? true };
        }
      }
    }
  }

  /** Every tensor of the subtree with its full key, own tensors then children in field order. */
  private *members(prefix: string, path: Set<Module>): IterableIterator<Member> {
    if (path.has(this)) {
      throw new ArgumentError(`module tree has a cycle at "${prefix}": a field refers back to an ancestor (name it with a leading "_")`);
    }
    path.add(this);
    // Field order, interleaving tensors and children as declared.
    const children = new Map(this.namedChildren());
    const own = new Map<string, Member[]>();
    for (const m of this.ownMembers()) {
      const field = m.name.split(".")[0];
      if (!own.has(field)) own.set(field, []);
      own.get(field)!.push(m);
    }
    const emitted = new Set<string>();
    for (const key of Object.keys(this)) {
      for (const m of own.get(key) ?? []) yield { ...m, name: join(prefix, m.name) };
      for (const [name, child] of children) {
        if (name === key || name.startsWith(`${key}.`)) {
          emitted.add(name);
          yield* child.members(join(prefix, name), path);
        }
      }
    }
    // Children not backed by a field (ModuleList items).
    for (const [name, child] of children) if (!emitted.has(name)) yield* child.members(join(prefix, name), path);
    path.delete(this);
  }

  /** Every module of the subtree (this one as ""), each once. */
  *namedModules(prefix = ""): IterableIterator<[string, Module]> {
    const seen = new Set<Module>();
    const walk = function* (m: Module, name: string, path: Set<Module>): IterableIterator<[string, Module]> {
      if (path.has(m)) throw new ArgumentError(`module tree has a cycle at "${name}"`);
      if (seen.has(m)) return;
      seen.add(m);
      yield [name, m];
      path.add(m);
      for (const [child, c] of m.namedChildren()) yield* walk(c, join(name, child), path);
      path.delete(m);
    };
    yield* walk(this, prefix, new Set());
  }

  /** Modules of the subtree, each once. */
  modules(): Module[] {
    return [...this.namedModules()].map(([, m]) => m);
  }

  /** Parameters with their keys, each tensor once (tied weights appear under their first key). */
  *namedParameters(prefix = ""): IterableIterator<[string, Tensor]> {
    const seen = new Set<Tensor>();
    for (const m of this.members(prefix, new Set())) {
      if (m.kind !== "parameter" || seen.has(m.tensor)) continue;
      seen.add(m.tensor);
      yield [m.name, m.tensor];
    }
  }

  parameters(): Tensor[] {
    return [...this.namedParameters()].map(([, t]) => t);
  }

  *namedBuffers(prefix = ""): IterableIterator<[string, Tensor]> {
    const seen = new Set<Tensor>();
    for (const m of this.members(prefix, new Set())) {
      if (m.kind !== "buffer" || seen.has(m.tensor)) continue;
      seen.add(m.tensor);
      yield [m.name, m.tensor];
    }
  }

  /**
   * Parameters and persistent buffers by key, in definition order. These are the module's own
   * tensors, not copies (clone them for a snapshot); tied weights appear under every key, as
   * in PyTorch.
   */
  stateDict(): StateDict {
    const out: StateDict = new Map();
    for (const m of this.members("", new Set())) if (m.persistent) out.set(m.name, m.tensor);
    return out;
  }

  /**
   * Copies a state dict into the existing parameter storage (so optimizers and packed-weight
   * caches keep their references; each target is `markChanged()`). Nothing is written unless
   * every key fits: all missing, unexpected and mis-shaped (or wrongly typed) keys are
   * reported together in one StateDictError. With `strict: false` missing and unexpected keys
   * are returned instead; mis-shaped keys still throw.
   *
   * Float32 parameters accept float32 values only (half-precision files are upcast by the
   * reader); integer buffers accept int32 or int64.
   *
   * @example
   * model.loadStateDict(readSafetensors("model.safetensors"));
   * const { missing } = model.loadStateDict(partial, { strict: false });
   */
  loadStateDict(sd: StateDictLike, options: LoadStateDictOptions = {}): LoadStateDictResult {
    const strict = options.strict ?? true;
    const source: ReadonlyMap<string, Tensor> = sd instanceof Map ? sd : new Map(Object.entries(sd as Record<string, Tensor>));
    const targets = this.stateDict();
    const missing: string[] = [];
    const mismatched: string[] = [];
    const plan: Array<[Tensor, Tensor]> = [];
    for (const [key, target] of targets) {
      const value = source.get(key);
      if (!value) {
        missing.push(key);
        continue;
      }
      const shapeOk = value.shape.length === target.shape.length && value.shape.every((d, i) => d === target.shape[i]);
      const dtypeOk = target.dtype === "float32" ? value.dtype === "float32" : value.dtype !== "float32";
      if (!shapeOk || !dtypeOk) {
        mismatched.push(`${key}: expected ${target.dtype} ${formatShape(target.shape)}, got ${value.dtype} ${formatShape(value.shape)}`);
        continue;
      }
      plan.push([target, value]);
    }
    const unexpected = [...source.keys()].filter((k) => !targets.has(k));
    if (mismatched.length || (strict && (missing.length || unexpected.length))) {
      throw new StateDictError(missing, strict ? unexpected : [], mismatched);
    }
    for (const [target, value] of plan) {
      if (target.data instanceof BigInt64Array) {
        const src = value.data;
        for (let i = 0; i < src.length; i++) target.data[i] = BigInt(src[i]);
      } else if (value.data instanceof BigInt64Array) {
        const dst = target.data as Int32Array;
        for (let i = 0; i < dst.length; i++) dst[i] = Number(value.data[i]);
      } else {
        (target.data as Float32Array).set(value.data as Float32Array);
      }
      target.markChanged();
    }
    return { missing, unexpected };
  }

  /** Sets `training` on the whole subtree (Dropout reads it). */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Number of scalar parameters (each tied tensor counted once). */
  numParameters(options: { trainableOnly?: boolean } = {}): number {
    let n = 0;
    for (const p of this.parameters()) if (!options.trainableOnly || p.requiresGrad) n += p.size;
    return n;
  }

  /** Freezes (false) or unfreezes (true) every parameter of the subtree. */
  requiresGrad_(flag = true): this {
    for (const p of this.parameters()) {
      p.setRequiresGrad(flag);
      if (!flag) p.grad = null;
    }
    return this;
  }

  /** Drops the accumulated gradients (PyTorch's set_to_none). */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /** Calls `fn` on every module, children before parents (as torch's `apply`), e.g. for init. */
  apply(fn: (m: Module, name: string) => void): this {
    const all = [...this.namedModules()];
    for (let i = all.length - 1; i >= 0; i--) fn(all[i][1], all[i][0]);
    return this;
  }

  /** One line per parameter: key, shape, frozen marker; then the total. */
  summary(): string {
    const lines = [...this.namedParameters()].map(([k, p]) => `${k} ${formatShape(p.shape)}${p.requiresGrad ? "" : " (frozen)"}`);
    lines.push(`${this.numParameters()} parameters (${this.numParameters({ trainableOnly: true })} trainable)`);
    return lines.join("\n");
  }
}
