import { ArgumentError } from "../errors.js";
import { type Generator, HalfTensor, Tensor, embedding, embeddingHalf } from "../tensor/index.js";
import { normalInit } from "./init.js";
import { type Weight, checkGivenShape } from "./linear.js";
import { Module } from "./module.js";

export interface EmbeddingOptions<W extends Weight = Tensor> {
  /** A row that starts as zeros (random init only). */
  paddingIdx?: number;
  generator?: Generator;
  /** This table [num, dim] instead of a random one: a checkpoint's (16-bit allowed). */
  weight?: W;
}

/**
 * A lookup table [num, dim] (N(0, 1) init, as torch.nn.Embedding; `paddingIdx` starts as a
 * zero row), or a given table, possibly 16-bit (`Embedding<Weight>`, rows converted as they
 * are looked up). Ids may be int32 or int64, of any shape: out is [...ids.shape, dim].
 *
 * @example
 * const tok = new Embedding(49408, 512);
 * tok.forward(tensor([[49406, 320, 49407]], { dtype: "int32" }));   // [1, 3, 512]
 */
export class Embedding<W extends Weight = Tensor> extends Module {
  weight: W;
  readonly numEmbeddings: number;
  readonly embeddingDim: number;

  constructor(numEmbeddings: number, embeddingDim: number, options: EmbeddingOptions<W> = {}) {
    super();
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    const pad = options.paddingIdx;
    if (pad !== undefined && !(Number.isInteger(pad) && pad >= 0 && pad < numEmbeddings)) {
      throw new ArgumentError(`Embedding: paddingIdx ${pad} is out of range for ${numEmbeddings} embeddings`);
    }
    if (options.weight) {
      checkGivenShape("Embedding weight", options.weight.shape, [numEmbeddings, embeddingDim]);
      this.weight = options.weight;
      return;
    }
    const table = normalInit([numEmbeddings, embeddingDim], 1, options.generator);
    if (pad !== undefined) table.f32().fill(0, pad * embeddingDim, (pad + 1) * embeddingDim);
    // Without a given table W is Tensor, the default.
    this.weight = table as W;
  }

  forward(ids: Tensor): Tensor {
    const w: Weight = this.weight;
    return w instanceof HalfTensor ? embeddingHalf(ids, w) : embedding(ids, w);
  }
}
