import { ArgumentError } from "../errors.js";
import { type Generator, Tensor, embedding } from "../tensor/index.js";
import { normalInit } from "./init.js";
import { Module } from "./module.js";

/**
 * A lookup table [num, dim] (N(0, 1) init, as torch.nn.Embedding); `paddingIdx` starts as a
 * zero row. Ids may be int32 or int64, of any shape: out is [...ids.shape, dim].
 *
 * @example
 * const tok = new Embedding(49408, 512);
 * tok.forward(tensor([[49406, 320, 49407]], { dtype: "int32" }));   // [1, 3, 512]
 */
export class Embedding extends Module {
  weight: Tensor;
  readonly numEmbeddings: number;
  readonly embeddingDim: number;

  constructor(numEmbeddings: number, embeddingDim: number, options: { paddingIdx?: number; generator?: Generator } = {}) {
    super();
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    this.weight = normalInit([numEmbeddings, embeddingDim], 1, options.generator);
    const pad = options.paddingIdx;
    if (pad !== undefined) {
      if (!(Number.isInteger(pad) && pad >= 0 && pad < numEmbeddings)) {
        throw new ArgumentError(`Embedding: paddingIdx ${pad} is out of range for ${numEmbeddings} embeddings`);
      }
      this.weight.f32().fill(0, pad * embeddingDim, (pad + 1) * embeddingDim);
    }
  }

  forward(ids: Tensor): Tensor {
    return embedding(ids, this.weight);
  }
}
