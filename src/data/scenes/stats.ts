/** Measurements of built scenes: object frequencies, co-occurrence, the bias as a rate. */
import { pairKey } from "./compose.js";
import type { Scene } from "./scene.js";
import type { SceneVocabulary } from "./vocabulary.js";

/** How often each object, and each pair of objects, is in a scene. */
export interface ObjectStats {
  scenes: number;
  frequency: Map<string, number>;
  /** By `pairKey`. */
  cooccurrence: Map<string, number>;
}

/** Present objects of a scene, each once, sorted. */
export function objectsIn(scene: Scene): string[] {
  return [...new Set(scene.items.filter((i) => i.kind === "object").map((i) => i.name))].sort();
}

export function objectStats(scenes: Iterable<Scene>): ObjectStats {
  const frequency = new Map<string, number>();
  const cooccurrence = new Map<string, number>();
  let count = 0;
  for (const scene of scenes) {
    count++;
    const names = objectsIn(scene);
    names.forEach((a, i) => {
      frequency.set(a, (frequency.get(a) ?? 0) + 1);
      for (const b of names.slice(i + 1)) cooccurrence.set(pairKey(a, b), (cooccurrence.get(pairKey(a, b)) ?? 0) + 1);
    });
  }
  return { scenes: count, frequency, cooccurrence };
}

/**
 * How often an object's partner is in the scene when the object is: the mean of P(b | a) and
 * P(a | b). Without bias it is about the partner's own frequency.
 */
export function partnerRate(stats: ObjectStats, a: string, b: string): number {
  const both = stats.cooccurrence.get(pairKey(a, b)) ?? 0;
  const fa = stats.frequency.get(a) ?? 0;
  const fb = stats.frequency.get(b) ?? 0;
  const rates = [fa > 0 ? both / fa : NaN, fb > 0 ? both / fb : NaN].filter((r) => !Number.isNaN(r));
  return rates.length > 0 ? rates.reduce((x, y) => x + y, 0) / rates.length : NaN;
}

export interface CooccurReport {
  /** partnerRate of each cooccur pair ("dog|ball"). */
  pairs: Record<string, number>;
  /** Mean partnerRate of the cooccur pairs, and of all other object pairs (the chance level). */
  mean: number;
  otherPairsMean: number;
}

const mean = (values: readonly number[]): number => {
  const ok = values.filter((v) => !Number.isNaN(v));
  return ok.length > 0 ? ok.reduce((a, b) => a + b, 0) / ok.length : NaN;
};
const round3 = (v: number): number => Math.round(v * 1000) / 1000;

export function cooccurReport(stats: ObjectStats, vocab: SceneVocabulary): CooccurReport {
  const biased = new Set(vocab.cooccur.map(([a, b]) => pairKey(a, b)));
  const pairs = Object.fromEntries(vocab.cooccur.map(([a, b]) => [`${a}|${b}`, round3(partnerRate(stats, a, b))]));
  const names = vocab.objects.map((o) => o.name);
  const others = names.flatMap((a, i) => names.slice(i + 1).filter((b) => !biased.has(pairKey(a, b))).map((b) => partnerRate(stats, a, b)));
  return { pairs, mean: round3(mean(Object.values(pairs))), otherPairsMean: round3(mean(others)) };
}
