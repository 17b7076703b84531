/** Inverted dropout with a seeded generator, so training runs are reproducible. */
import { ArgumentError } from "../../errors.js";
import { needsGrad } from "../autograd.js";
import { type Generator, defaultGenerator } from "../random.js";
import { Tensor } from "../tensor.js";
import { mul } from "./elementwise.js";

/**
 * Zeroes each element with probability p and scales the rest by 1/(1-p); identity when not
 * training or p = 0.
 */
export function dropout(x: Tensor, p: number, training = true, generator: Generator = defaultGenerator): Tensor {
  if (!(p >= 0 && p <= 1)) throw new ArgumentError(`dropout: p must be in [0, 1], got ${p}`);
  if (!training || p === 0) return x;
  const mask = new Float32Array(x.size);
  const scale = p === 1 ? 0 : 1 / (1 - p);
  for (let i = 0; i < mask.length; i++) mask[i] = generator.uniform() >= p ? scale : 0;
  const m = new Tensor(mask, x.shape);
  return needsGrad(x) ? mul(x, m) : mul(x.detach(), m);
}
