import { type Generator, Tensor, defaultGenerator, dropout } from "../tensor/index.js";
import { ArgumentError } from "../errors.js";
import { Module } from "./module.js";

/**
 * Inverted dropout while `training`, identity after `eval()`. The generator is seeded, so a
 * run (and a resumed run, with its state restored) is reproducible.
 */
export class Dropout extends Module {
  readonly p: number;
  /** Private: a generator is state, not a parameter. */
  private readonly _generator: Generator;

  constructor(p = 0.5, options: { generator?: Generator } = {}) {
    super();
    if (!(p >= 0 && p <= 1)) throw new ArgumentError(`Dropout: p must be in [0, 1], got ${p}`);
    this.p = p;
    this._generator = options.generator ?? defaultGenerator;
  }

  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training, this._generator);
  }
}
