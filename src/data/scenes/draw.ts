import type { Generator } from "../../tensor/random.js";

/** One element of `items`, uniformly. */
export function pick<T>(g: Generator, items: readonly T[]): T {
  return items[g.int(items.length)];
}

/** Uniform in [low, high). */
export function between(g: Generator, low: number, high: number): number {
  return low + (high - low) * g.uniform();
}

/** Uniform integer in [low, high], both ends included. */
export function intBetween(g: Generator, low: number, high: number): number {
  return low + g.int(high - low + 1);
}

export function chance(g: Generator, p: number): boolean {
  return g.uniform() < p;
}

/** A shuffled copy (Fisher-Yates). */
export function shuffled<T>(g: Generator, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = g.int(i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** An index drawn with probability proportional to its weight (weights >= 0, not all 0). */
export function weightedIndex(g: Generator, weights: readonly number[]): number {
  const total = weights.reduce((a, b) => a + b, 0);
  let r = g.uniform() * total;
  for (let i = 0; i < weights.length; i++) {
    r -= weights[i];
    if (r < 0 && weights[i] > 0) return i;
  }
  // Rounding can leave r a hair above 0 after the last weight.
  let last = weights.length - 1;
  while (weights[last] <= 0) last--;
  return last;
}
