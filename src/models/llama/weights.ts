/**
 * Where the language model's tensors come from while it is built, and the two layers that use
 * them as stored. A 7B model is built straight from its checkpoint: each layer asks the source
 * for its tensors by key, so nothing is first allocated at random and then overwritten, and
 * F16/BF16 matrices stay 16-bit (HalfTensor) instead of doubling to float32.
 *
 * Half-held weights are not Tensors, so the Module walk (parameters, stateDict) does not see
 * them: such a model is for inference. Load with `dtype: "float32"` to train or export it.
 */
import { Module } from "../../nn/index.js";
import { Generator, HalfTensor, Tensor, embedding, embeddingHalf, linear, linearHalf } from "../../tensor/index.js";

/** A weight as the model keeps it: float32, or 16-bit bits. */
export type Weight = Tensor | HalfTensor;

/** How a fresh tensor starts (for models built without a checkpoint). */
export type Init = "normal" | "ones" | "zeros";

export interface ParamSource {
  /** The weight at `key` (state-dict path) with `shape`; half precision allowed. */
  weight(key: string, shape: readonly number[], init: Init): Weight;
  /** Same, always float32 (norm weights, biases: small, and read by float32 kernels). */
  float32(key: string, shape: readonly number[], init: Init): Tensor;
}

/**
 * Fresh weights as transformers initialises Llama: N(0, 0.02) matrices, unit norms, zero
 * biases, from a seeded stream (same seed, same model).
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

/** A source's view under a key prefix: `scope.child("self_attn").weight("q_proj.weight", ...)`. */
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
    return this.source.weight(this.key(name), shape, init);
  }

  float32(name: string, shape: readonly number[], init: Init): Tensor {
    return this.source.float32(this.key(name), shape, init);
  }
}

/** nn.Linear's forward on a weight kept as stored: [..., in] -> [..., out]. */
export class StoredLinear extends Module {
  weight: Weight;
  bias: Tensor | null;

  constructor(p: ParamScope, inFeatures: number, outFeatures: number, options: { bias?: boolean; weight?: Weight } = {}) {
    super();
    // `weight` passes a shared tensor: the tied lm_head reads the embedding table.
    this.weight = options.weight ?? p.weight("weight", [outFeatures, inFeatures]);
    this.bias = options.bias ? p.float32("bias", [outFeatures], "zeros") : null;
  }

  forward(x: Tensor): Tensor {
    return this.weight instanceof HalfTensor ? linearHalf(x, this.weight, this.bias) : linear(x, this.weight, this.bias);
  }
}

/** Token embedding table [vocab, dim] kept as stored; ids of any shape -> [..., dim]. */
export class StoredEmbedding extends Module {
  weight: Weight;

  constructor(p: ParamScope, vocab: number, dim: number) {
    super();
    this.weight = p.weight("weight", [vocab, dim]);
  }

  forward(ids: Tensor): Tensor {
    return this.weight instanceof HalfTensor ? embeddingHalf(ids, this.weight) : embedding(ids, this.weight);
  }
}
