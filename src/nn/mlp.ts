import { type Generator, Tensor } from "../tensor/index.js";
import { type ActivationName, activationByName } from "./activation.js";
import { Linear } from "./linear.js";
import { Module } from "./module.js";

export interface MLPOptions {
  /** `hidden_act`: default "gelu". CLIP uses "quick_gelu", ViT "gelu". */
  act?: ActivationName;
  /** Output size: default the input size (a transformer block's MLP). */
  outFeatures?: number;
  bias?: boolean;
  generator?: Generator;
}

/**
 * fc2(act(fc1(x))): the transformer MLP with the HF CLIP field names (`mlp.fc1`, `mlp.fc2`).
 *
 * @example
 * const mlp = new MLP(768, 3072, { act: "quick_gelu" });
 * mlp.forward(x);   // [B, N, 768] -> [B, N, 768]
 */
export class MLP extends Module {
  fc1: Linear;
  fc2: Linear;
  readonly act: ActivationName;
  private readonly _act: (x: Tensor) => Tensor;

  constructor(inFeatures: number, hiddenFeatures: number, options: MLPOptions = {}) {
    super();
    this.act = options.act ?? "gelu";
    this._act = activationByName(this.act);
    this.fc1 = new Linear(inFeatures, hiddenFeatures, { bias: options.bias, generator: options.generator });
    this.fc2 = new Linear(hiddenFeatures, options.outFeatures ?? inFeatures, { bias: options.bias, generator: options.generator });
  }

  forward(x: Tensor): Tensor {
    return this.fc2.forward(this._act(this.fc1.forward(x)));
  }
}
