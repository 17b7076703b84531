import { ShapeError } from "../errors.js";
import { type Generator, HalfTensor, Tensor, linear, linearHalf } from "../tensor/index.js";
import { formatShape } from "../tensor/shape.js";
import { uniformFanIn } from "./init.js";
import { Module } from "./module.js";

/**
 * A weight as a layer holds it: float32 (a parameter), or 16-bit as a checkpoint stores it
 * (HalfTensor: half the memory, converted as it is used; not a parameter, so inference only).
 */
export type Weight = Tensor | HalfTensor;

export interface LinearOptions<W extends Weight = Tensor> {
  /** true (default): a bias initialised as torch does; false: none; a Tensor [out]: that one. */
  bias?: boolean | Tensor;
  generator?: Generator;
  /** This weight [out, in] instead of a random one: a checkpoint's (16-bit allowed), or a tied table. */
  weight?: W;
}

/** Throws a ShapeError unless a given tensor has the shape the layer needs. */
export function checkGivenShape(what: string, shape: readonly number[], expected: readonly number[]): void {
  if (shape.length !== expected.length || shape.some((d, i) => d !== expected[i])) {
    throw new ShapeError(`${what} is ${formatShape(shape)}, expected ${formatShape(expected)}`);
  }
}

/**
 * y = x W^T + b with W [out, in] (torch / HF layout), initialised as torch.nn.Linear, or
 * around given tensors (`weight`, `bias`) without a random init. A 16-bit weight
 * (`Linear<Weight>`) is multiplied as stored; gradients still reach x and the bias.
 *
 * @example
 * const fc = new Linear(768, 3072);
 * fc.forward(x);   // [B, N, 768] -> [B, N, 3072]
 * const head = new Linear<Weight>(4096, 32000, { weight: halfTensor, bias: false }); // as stored
 */
export class Linear<W extends Weight = Tensor> extends Module {
  weight: W;
  bias: Tensor | null;
  readonly inFeatures: number;
  readonly outFeatures: number;

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions<W> = {}) {
    super();
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const { weight, bias = true, generator } = options;
    if (weight) checkGivenShape("Linear weight", weight.shape, [outFeatures, inFeatures]);
    // Without a given weight W is Tensor, the default.
    this.weight = weight ?? (uniformFanIn([outFeatures, inFeatures], inFeatures, generator) as W);
    if (bias instanceof Tensor) checkGivenShape("Linear bias", bias.shape, [outFeatures]);
    this.bias = bias instanceof Tensor ? bias : bias ? uniformFanIn([outFeatures], inFeatures, generator) : null;
  }

  forward(x: Tensor): Tensor {
    const w: Weight = this.weight;
    return w instanceof HalfTensor ? linearHalf(x, w, this.bias) : linear(x, w, this.bias);
  }
}
