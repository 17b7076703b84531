/** Parameter initialisers matching PyTorch's defaults, drawn from a seeded Generator. */
import { type Generator, defaultGenerator, rand, randn, Tensor } from "../tensor/index.js";
import type { Shape } from "../tensor/index.js";

/**
 * U(-1/sqrt(fanIn), 1/sqrt(fanIn)): what torch's kaiming_uniform_(a=sqrt(5)) gives for Linear
 * and Conv weights, and the bound it uses for their biases.
 */
export function uniformFanIn(shape: Shape, fanIn: number, generator: Generator = defaultGenerator): Tensor {
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  return rand(shape, { low: -bound, high: bound, generator }).setRequiresGrad(true);
}

/** N(0, std^2) (nn.Embedding's default is std 1). */
export function normalInit(shape: Shape, std = 1, generator: Generator = defaultGenerator): Tensor {
  return randn(shape, { std, generator }).setRequiresGrad(true);
}

export function onesParam(shape: Shape): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return new Tensor(new Float32Array(n).fill(1), shape, { requiresGrad: true });
}

export function zerosParam(shape: Shape): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return new Tensor(new Float32Array(n), shape, { requiresGrad: true });
}
