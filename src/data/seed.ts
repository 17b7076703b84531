import { Generator } from "../tensor/random.js";

/**
 * One 32-bit seed from several integers (seed, epoch, sample index...), so each sample's
 * random stream depends only on where it is, not on which worker drew it or when.
 */
export function mixSeed(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    // Both halves, so indices past 2^32 do not collide.
    for (const word of [part >>> 0, Math.floor(part / 4294967296) >>> 0]) {
      h = Math.imul(h ^ word, 0x01000193) >>> 0;
      h ^= h >>> 16;
      h = Math.imul(h, 0x85ebca6b) >>> 0;
      h ^= h >>> 13;
    }
  }
  return h >>> 0;
}

/** A Fisher-Yates permutation of `0..n-1` from `generator`. */
export function permutation(n: number, generator: Generator): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = generator.int(i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}
