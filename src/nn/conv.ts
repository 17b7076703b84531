import { ArgumentError } from "../errors.js";
import { type Generator, type Pair, Tensor, conv2d } from "../tensor/index.js";
import { uniformFanIn } from "./init.js";
import { Module } from "./module.js";

export interface Conv2dLayerOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
  /** Default true (CLIP's patch embedding has none: pass false). */
  bias?: boolean;
  generator?: Generator;
}

function pair(v: Pair): [number, number] {
  return typeof v === "number" ? [v, v] : [v[0], v[1]];
}

/**
 * 2-d convolution with weight [out, in / groups, kh, kw], initialised as torch.nn.Conv2d.
 * A ViT patch embedding is `new Conv2d(3, dim, patch, { stride: patch })`.
 *
 * @example
 * const patch = new Conv2d(3, 768, 32, { stride: 32, bias: false });
 * patch.forward(pixels);   // [B, 3, 224, 224] -> [B, 768, 7, 7]
 */
export class Conv2d extends Module {
  weight: Tensor;
  bias: Tensor | null;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: Pair;
  readonly padding: Pair;
  readonly dilation: Pair;
  readonly groups: number;

  constructor(inChannels: number, outChannels: number, kernelSize: Pair, options: Conv2dLayerOptions = {}) {
    super();
    const groups = options.groups ?? 1;
    if (!(Number.isInteger(groups) && groups > 0) || inChannels % groups !== 0 || outChannels % groups !== 0) {
      throw new ArgumentError(`Conv2d: groups=${groups} must divide in_channels ${inChannels} and out_channels ${outChannels}`);
    }
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = pair(kernelSize);
    this.stride = options.stride ?? 1;
    this.padding = options.padding ?? 0;
    this.dilation = options.dilation ?? 1;
    this.groups = groups;
    const [kh, kw] = this.kernelSize;
    const fanIn = (inChannels / groups) * kh * kw;
    this.weight = uniformFanIn([outChannels, inChannels / groups, kh, kw], fanIn, options.generator);
    this.bias = options.bias ?? true ? uniformFanIn([outChannels], fanIn, options.generator) : null;
  }

  /** [N, C, H, W] -> [N, O, oh, ow]. */
  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
  }
}
