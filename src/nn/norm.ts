import { Tensor, layerNorm, rmsNorm } from "../tensor/index.js";
import { onesParam, zerosParam } from "./init.js";
import { Module } from "./module.js";

export interface LayerNormOptions {
  /** Default 1e-5 (torch); CLIP and ViT configs pass their own `layer_norm_eps`. */
  eps?: number;
  /** Learnable weight (and bias): default true. */
  elementwiseAffine?: boolean;
  /** With elementwiseAffine, also a bias: default true. */
  bias?: boolean;
}

/**
 * Layer norm over the last dimension, as torch.nn.LayerNorm(dim).
 *
 * @example
 * const ln = new LayerNorm(768, { eps: 1e-12 });
 */
export class LayerNorm extends Module {
  weight: Tensor | null;
  bias: Tensor | null;
  readonly eps: number;
  readonly normalizedShape: number;

  constructor(dim: number, options: LayerNormOptions = {}) {
    super();
    this.normalizedShape = dim;
    this.eps = options.eps ?? 1e-5;
    const affine = options.elementwiseAffine ?? true;
    this.weight = affine ? onesParam([dim]) : null;
    this.bias = affine && (options.bias ?? true) ? zerosParam([dim]) : null;
  }

  forward(x: Tensor): Tensor {
    return layerNorm(x, this.weight, this.bias, this.eps);
  }
}

/** RMS norm over the last dimension (Llama's RMSNorm): weight only, eps 1e-6 by default. */
export class RMSNorm extends Module {
  weight: Tensor;
  readonly eps: number;

  constructor(dim: number, options: { eps?: number } = {}) {
    super();
    this.eps = options.eps ?? 1e-6;
    this.weight = onesParam([dim]);
  }

  forward(x: Tensor): Tensor {
    return rmsNorm(x, this.weight, this.eps);
  }
}
