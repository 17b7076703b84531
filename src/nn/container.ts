import { ArgumentError } from "../errors.js";
import type { Tensor } from "../tensor/index.js";
import { Module } from "./module.js";

/**
 * A list of modules whose state-dict keys are their indices (`layers.0.mlp.fc1.weight`).
 * Indexable (`layers[0]`, `layers.at(-1)`), iterable, with a length.
 *
 * @example
 * class Encoder extends Module {
 *   layers = new ModuleList(Array.from({ length: 12 }, () => new EncoderLayer(cfg)));
 *   forward(x: Tensor) { for (const layer of this.layers) x = layer.forward(x); return x; }
 * }
 */
export class ModuleList<T extends Module = Module> extends Module implements Iterable<T> {
  readonly [index: number]: T;
  private readonly _items: T[] = [];

  constructor(modules: Iterable<T> = []) {
    super();
    for (const m of modules) this.push(m);
  }

  get length(): number {
    return this._items.length;
  }

  push(...modules: T[]): this {
    for (const m of modules) {
      if (!(m instanceof Module)) throw new ArgumentError(`ModuleList: item ${this._items.length} is not a Module`);
      // Non-enumerable, so only namedChildren (below) reports the items.
      Object.defineProperty(this, this._items.length, { value: m, enumerable: false, configurable: true });
      this._items.push(m);
    }
    return this;
  }

  at(index: number): T {
    const i = index < 0 ? index + this._items.length : index;
    const m = this._items[i];
    if (!m) throw new ArgumentError(`ModuleList: index ${index} is out of range for length ${this._items.length}`);
    return m;
  }

  [Symbol.iterator](): Iterator<T> {
    return this._items[Symbol.iterator]();
  }

  override *namedChildren(): IterableIterator<[string, Module]> {
    for (let i = 0; i < this._items.length; i++) yield [String(i), this._items[i]];
  }
}

/** A module with a single-tensor forward. */
export interface TensorModule extends Module {
  forward(x: Tensor): Tensor;
}

/**
 * Applies its modules in order; keys `0.weight`, `2.bias`... as torch.nn.Sequential.
 *
 * @example
 * const net = new Sequential(new Linear(2, 64), new Activation("relu"), new Linear(64, 2));
 * const logits = net.forward(x);
 */
export class Sequential extends ModuleList<TensorModule> {
  constructor(...modules: TensorModule[]) {
    super(modules);
  }

  forward(x: Tensor): Tensor {
    let h = x;
    for (const m of this) h = m.forward(h);
    return h;
  }
}
