import { type Generator, Tensor, linear } from "../tensor/index.js";
import { uniformFanIn } from "./init.js";
import { Module } from "./module.js";

export interface LinearOptions {
  /** Default true. */
  bias?: boolean;
  generator?: Generator;
}

/**
 * y = x W^T + b with W [out, in] (torch / HF layout), initialised as torch.nn.Linear.
 *
 * @example
 * const fc = new Linear(768, 3072);
 * fc.forward(x);   // [B, N, 768] -> [B, N, 3072]
 */
export class Linear extends Module {
  weight: Tensor;
  bias: Tensor | null;
  readonly inFeatures: number;
  readonly outFeatures: number;

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.weight = uniformFanIn([outFeatures, inFeatures], inFeatures, options.generator);
    this.bias = options.bias ?? true ? uniformFanIn([outFeatures], inFeatures, options.generator) : null;
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}
