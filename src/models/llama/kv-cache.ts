/**
 * The key/value cache: each layer's keys and values (after rotary embedding) for every token
 * seen so far, so a decode step computes attention for its one new token only.
 */
import { ArgumentError, ShapeError } from "../../errors.js";
import { Tensor } from "../../tensor/index.js";

interface LayerCache {
  k: Float32Array;
  v: Float32Array;
  length: number;
}

/**
 * Per layer, [B, Hkv, capacity, D] buffers that double when full. `append` returns the keys and
 * values so far as contiguous [B, Hkv, T, D] tensors (a copy: the attention kernel reads dense
 * blocks, and copying T rows costs about what attending over them does).
 *
 * @example
 * const cache = lm.newCache(1);
 * lm.forward({ inputIds: prompt, cache });          // prefill
 * lm.forward({ inputIds: nextToken, cache });       // decode: one position
 */
export class KVCache {
  readonly batch: number;
  readonly kvHeads: number;
  readonly headDim: number;
  private capacity: number;
  private readonly layers: LayerCache[];

  constructor(numLayers: number, batch: number, kvHeads: number, headDim: number, capacity = 64) {
    if (!(batch > 0 && capacity > 0)) throw new ArgumentError(`KVCache: batch and capacity must be positive, got ${batch}, ${capacity}`);
    this.batch = batch;
    this.kvHeads = kvHeads;
    this.headDim = headDim;
    this.capacity = capacity;
    const size = batch * kvHeads * capacity * headDim;
    this.layers = Array.from({ length: numLayers }, () => ({ k: new Float32Array(size), v: new Float32Array(size), length: 0 }));
  }

  /** Tokens held (per row, pads included). */
  get length(): number {
    return this.layers.length ? this.layers[0].length : 0;
  }

  /** Adds k, v [B, Hkv, L, D] for `layer`; returns all its keys and values, [B, Hkv, T, D]. */
  append(layer: number, k: Tensor, v: Tensor): { k: Tensor; v: Tensor } {
    const c = this.layers[layer];
    const [b, h, l, d] = k.shape;
    if (k.ndim !== 4 || b !== this.batch || h !== this.kvHeads || d !== this.headDim || v.shape.join() !== k.shape.join()) {
      throw new ShapeError(`KVCache: keys [${k.shape}] / values [${v.shape}] do not fit a cache of [${this.batch}, ${this.kvHeads}, T, ${this.headDim}]`);
    }
    if (c.length + l > this.capacity) this.grow(c.length + l);
    const cap = this.capacity;
    const kd = k.f32("KVCache");
    const vd = v.f32("KVCache");
    for (let blk = 0; blk < b * h; blk++) {
      c.k.set(kd.subarray(blk * l * d, (blk + 1) * l * d), (blk * cap + c.length) * d);
      c.v.set(vd.subarray(blk * l * d, (blk + 1) * l * d), (blk * cap + c.length) * d);
    }
    c.length += l;
    const t = c.length;
    const keys = new Float32Array(b * h * t * d);
    const values = new Float32Array(b * h * t * d);
    for (let blk = 0; blk < b * h; blk++) {
      keys.set(c.k.subarray(blk * cap * d, (blk * cap + t) * d), blk * t * d);
      values.set(c.v.subarray(blk * cap * d, (blk * cap + t) * d), blk * t * d);
    }
    return { k: new Tensor(keys, [b, h, t, d]), v: new Tensor(values, [b, h, t, d]) };
  }

  private grow(needed: number): void {
    let cap = this.capacity;
    while (cap < needed) cap *= 2;
    const d = this.headDim;
    const blocks = this.batch * this.kvHeads;
    for (const c of this.layers) {
      const k = new Float32Array(blocks * cap * d);
      const v = new Float32Array(blocks * cap * d);
      for (let blk = 0; blk < blocks; blk++) {
        k.set(c.k.subarray(blk * this.capacity * d, (blk * this.capacity + c.length) * d), blk * cap * d);
        v.set(c.v.subarray(blk * this.capacity * d, (blk * this.capacity + c.length) * d), blk * cap * d);
      }
      c.k = k;
      c.v = v;
    }
    this.capacity = cap;
  }
}
