import { ArgumentError } from "../../errors.js";
import { Generator } from "../../tensor/random.js";
import { mixSeed, permutation } from "../seed.js";

export type Split = "train" | "val" | "test-style" | "test-names";

export interface SplitOptions {
  /** Every item of this style is `test-style` (unless its name is held out). */
  heldOutStyle: string;
  /** How many names to hold out of every style as `test-names`. */
  heldOutNames: number;
  /** Fraction of the remaining items (seen names, seen styles) for `val`. */
  valFraction: number;
  seed: number;
}

export interface SplitItem {
  name: string;
  style: string;
  caption: string;
}

/** Caption words as the held-out rule counts them: lower-case letter/digit runs. */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/**
 * Assigns splits for two generalisation tests:
 * - `test-style`: one art style never seen in training (its names are all seen);
 * - `test-names`: names never seen in training, in any style, each made only of words that
 *   do occur in the training captions, so a model can only get them right by composing
 *   known words ("red apple" when "red" and "apple" were seen apart). Only multi-word names
 *   are candidates; a name is held out only if no other training caption spells it out whole
 *   and every word of it, and of the names held out before it, is still left in a training
 *   caption afterwards. `val` is drawn under the same rule. `verifyHeldOutNames` checks the
 *   result independently.
 * Items of a held-out name in the held-out style go to `test-names`, so `test-style` holds
 * seen names only.
 */
export function assignSplits(items: readonly SplitItem[], options: SplitOptions): { splits: Split[]; heldOutNames: string[] } {
  const { heldOutStyle, heldOutNames, valFraction, seed } = options;
  if (!items.some((i) => i.style === heldOutStyle)) {
    throw new ArgumentError(`assignSplits: no items in the held-out style "${heldOutStyle}"`);
  }
  if (!(valFraction >= 0 && valFraction < 1)) throw new ArgumentError(`assignSplits: valFraction must be in [0, 1), got ${valFraction}`);

  const captionWords = items.map((i) => new Set(words(i.caption)));
  const trainable = items.map((i) => i.style !== heldOutStyle);
  // How many trainable captions still contain each word.
  const count = new Map<string, number>();
  items.forEach((_, k) => {
    if (trainable[k]) for (const w of captionWords[k]) count.set(w, (count.get(w) ?? 0) + 1);
  });
  const required = new Set<string>();
  const removable = (ks: number[], extra: readonly string[]): boolean => {
    const loss = new Map<string, number>();
    for (const k of ks) for (const w of captionWords[k]) loss.set(w, (loss.get(w) ?? 0) + 1);
    return [...required, ...extra].every((w) => (count.get(w) ?? 0) - (loss.get(w) ?? 0) > 0);
  };
  const remove = (ks: number[]): void => {
    for (const k of ks) for (const w of captionWords[k]) count.set(w, count.get(w)! - 1);
  };

  const byName = new Map<string, number[]>();
  items.forEach((item, k) => {
    if (!byName.has(item.name)) byName.set(item.name, []);
    byName.get(item.name)!.push(k);
  });
  const candidates = [...byName.keys()].filter((n) => words(n).length >= 2).sort();
  const held = new Set<string>();
  for (const i of permutation(candidates.length, new Generator(mixSeed(seed, 1)))) {
    if (held.size >= heldOutNames) break;
    const name = candidates[i];
    const ks = byName.get(name)!.filter((k) => trainable[k]);
    if (ks.length === 0 || !removable(ks, words(name))) continue;
    // Never seen also means never written out whole in another item's caption (as a keyword).
    const phrase = new RegExp(`(^|[^\\p{L}\\p{N}])${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}($|[^\\p{L}\\p{N}])`, "iu");
    if (items.some((item, k) => trainable[k] && item.name !== name && !held.has(item.name) && phrase.test(item.caption))) continue;
    remove(ks);
    for (const w of words(name)) required.add(w);
    held.add(name);
  }

  const splits: Split[] = items.map((item) => (held.has(item.name) ? "test-names" : item.style === heldOutStyle ? "test-style" : "train"));
  const rest = splits.flatMap((s, k) => (s === "train" ? [k] : []));
  let val = Math.round(valFraction * rest.length);
  for (const i of permutation(rest.length, new Generator(mixSeed(seed, 2)))) {
    if (val === 0) break;
    const k = rest[i];
    if (!removable([k], [])) continue;
    remove([k]);
    splits[k] = "val";
    val--;
  }
  return { splits, heldOutNames: [...held].sort() };
}

/** The words of held-out names missing from every training caption; empty when the rule holds. */
export function verifyHeldOutNames(items: readonly SplitItem[], splits: readonly Split[]): string[] {
  const seen = new Set<string>();
  items.forEach((item, k) => {
    if (splits[k] === "train") for (const w of words(item.caption)) seen.add(w);
  });
  const missing = new Set<string>();
  items.forEach((item, k) => {
    if (splits[k] === "test-names") for (const w of words(item.name)) if (!seen.has(w)) missing.add(`${item.name}: ${w}`);
  });
  return [...missing].sort();
}
