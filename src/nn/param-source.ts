/**
 * Where a model's tensors come from while it is built. A 7B model is built straight from its
 * checkpoint: each layer asks the source for its tensors by state-dict key, so nothing is first
 * allocated at random and then overwritten, and F16/BF16 matrices can stay 16-bit. A
 * checkpoint (`io/checkpoint.ts`) is one source; `randomSource` is the other, for a fresh model.
 */
import { Generator, Tensor } from "../tensor/index.js";
import { Embedding } from "./embedding.js";
import { Linear, type Weight } from "./linear.js";
import { param } from "./module.js";

/** How a fresh tensor starts (for models built without a checkpoint). */
export type Init = "normal" | "ones" | "zeros";

export interface ParamSource {
  /** The weight at `key` (state-dict path) with `shape`; a checkpoint may give it 16-bit. */
  weight(key: string, shape: readonly number[], init: Init): Weight;
  /** Same, always float32 (norm weights, biases: small, and read by float32 kernels). */
  float32(key: string, shape: readonly number[], init: Init): Tensor;
}

/**
 * Fresh weights as transformers initialises its models: N(0, std) matrices, unit norms, zero
 * biases, from a seeded stream (same seed, same model).
 *
 * @example
 * const lm = new LlamaForCausalLM(config, randomSource(0, 0.02));
 */
export function randomSource(seed = 0, std = 0.02): ParamSource {
  const g = new Generator(seed);
  const make = (shape: readonly number[], init: Init): Tensor => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    if (init === "ones") data.fill(1);
    else if (init === "normal") for (let i = 0; i < data.length; i++) data[i] = std * g.normal();
    return new Tensor(data, shape);
  };
  return { weight: (_key, shape, init) => make(shape, init), float32: (_key, shape, init) => make(shape, init) };
}

/**
 * A source's view under a key prefix, which builds layers from it. Float32 tensors come out as
 * trainable parameters; 16-bit ones as stored (inference only).
 *
 * @example
 * const p = new ParamScope(checkpoint).child("model.layers.0.self_attn");
 * const q = p.linear("q_proj", 4096, 4096, { bias: false });   // reads model.layers.0.self_attn.q_proj.weight
 */
export class ParamScope {
  constructor(
    readonly source: ParamSource,
    readonly prefix = "",
  ) {}

  child(name: string): ParamScope {
    return new ParamScope(this.source, this.key(name));
  }

  key(name: string): string {
    return this.prefix ? `${this.prefix}.${name}` : name;
  }

  weight(name: string, shape: readonly number[], init: Init = "normal"): Weight {
    const w = this.source.weight(this.key(name), shape, init);
    return w instanceof Tensor ? param(w) : w;
  }

  float32(name: string, shape: readonly number[], init: Init): Tensor {
    return param(this.source.float32(this.key(name), shape, init));
  }

  /** A Linear under `name` (its `.weight` [out, in] and, with `bias`, `.bias`); `weight` shares a tensor (a tied head). */
  linear(name: string, inFeatures: number, outFeatures: number, options: { bias: boolean; weight?: Weight }): Linear<Weight> {
    const p = this.child(name);
    return new Linear<Weight>(inFeatures, outFeatures, {
      weight: options.weight ?? p.weight("weight", [outFeatures, inFeatures]),
      bias: options.bias ? p.float32("bias", [outFeatures], "zeros") : false,
    });
  }

  /** An Embedding table [num, dim] under `name`. */
  embedding(name: string, num: number, dim: number): Embedding<Weight> {
    return new Embedding<Weight>(num, dim, { weight: this.child(name).weight("weight", [num, dim]) });
  }
}
