import { ArgumentError } from "../errors.js";
import { Tensor } from "./tensor.js";
import { type Shape, sizeOf } from "./shape.js";

/**
 * A seeded random stream (xoshiro128**, 32-bit state words, so it is exact in JS integer
 * math). Its state can be saved and restored, so a resumed training run continues the very
 * same stream.
 */
export class Generator {
  private s = new Uint32Array(4);
  /** Box-Muller makes normals in pairs; the spare one is kept for the next call. */
  private spare: number | null = null;

  constructor(seed = 0) {
    this.seed(seed);
  }

  seed(seed: number): void {
    // splitmix32 spreads a small integer seed over the 128-bit state.
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if (this.s.every((w) => w === 0)) this.s[0] = 1;
    this.spare = null;
  }

  /** Next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  uniform(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Standard normal by Box-Muller. */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    // Rejection sampling avoids the modulo bias for n that do not divide 2^32.
    const limit = 4294967296 - (4294967296 % n);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return x % n;
  }

  /** The state, to save with a checkpoint. */
  getState(): number[] {
    return [...this.s, this.spare === null ? NaN : this.spare];
  }

  setState(state: readonly number[]): void {
    if (state.length !== 5) throw new ArgumentError("Generator.setState: expected 5 numbers");
    for (let i = 0; i < 4; i++) this.s[i] = state[i] >>> 0;
    this.spare = Number.isNaN(state[4]) ? null : state[4];
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** The default stream used when no generator is passed; `manualSeed` resets it. */
export const defaultGenerator = new Generator(0);

export function manualSeed(seed: number): void {
  defaultGenerator.seed(seed);
}

/** Normal(mean, std) samples. */
export function randn(shape: Shape, options: { mean?: number; std?: number; generator?: Generator } = {}): Tensor {
  const g = options.generator ?? defaultGenerator;
  const mean = options.mean ?? 0;
  const std = options.std ?? 1;
  const data = new Float32Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = mean + std * g.normal();
  return new Tensor(data, shape);
}

/** Uniform samples in [low, high). */
export function rand(shape: Shape, options: { low?: number; high?: number; generator?: Generator } = {}): Tensor {
  const g = options.generator ?? defaultGenerator;
  const low = options.low ?? 0;
  const high = options.high ?? 1;
  const data = new Float32Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = low + (high - low) * g.uniform();
  return new Tensor(data, shape);
}

/** Normal samples truncated to [a, b] standard deviations by rejection (timm's trunc_normal_). */
export function truncNormal(shape: Shape, options: { std?: number; a?: number; b?: number; generator?: Generator } = {}): Tensor {
  const g = options.generator ?? defaultGenerator;
  const std = options.std ?? 1;
  const a = options.a ?? -2;
  const b = options.b ?? 2;
  const data = new Float32Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) {
    let v = g.normal();
    while (v < a || v > b) v = g.normal();
    data[i] = v * std;
  }
  return new Tensor(data, shape);
}

/** A random permutation of 0..n-1 (Fisher-Yates), as int32. */
export function randperm(n: number, generator: Generator = defaultGenerator): Tensor {
  const data = new Int32Array(n);
  for (let i = 0; i < n; i++) data[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = generator.int(i + 1);
    const t = data[i];
    data[i] = data[j];
    data[j] = t;
  }
  return new Tensor(data, [n]);
}
