import type { Generator } from "../../tensor/random.js";
import { chance, intBetween, pick, shuffled } from "./draw.js";
import type { SceneVocabulary } from "./vocabulary.js";

/** What an item is, before it is placed: an object by name, or a shape with its colour. */
export interface Identity {
  kind: "object" | "shape";
  name: string;
  color: string | null;
}

export interface CompositionRules {
  /**
   * The dataset bias: when one object of a cooccur pair is in a scene and its partner is not,
   * the partner is added with this probability. 0 leaves every object independent of the others.
   */
  cooccur: number;
  /** Object pairs (as `pairKey`) that must never be in one scene. */
  forbidden: ReadonlySet<string>;
  /** Two objects every scene must hold (the held-out combinations split). */
  required?: readonly [string, string];
}

/** A scene holds more objects than shapes a little more often: they are what questions are about. */
const OBJECT_SHARE = 0.55;
/** Chance that a new item repeats one already drawn, so counts above 1 are common. */
const REPEAT_SHARE = 0.3;
/** Chance that a scene is built around a group of 2 to all of its items alike, so counts up to 6 occur. */
const GROUP_SHARE = 0.25;

/** An order-free key for an object pair. */
export function pairKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

function allowedWith(name: string, present: Iterable<string>, forbidden: ReadonlySet<string>): boolean {
  for (const other of present) if (other !== name && forbidden.has(pairKey(name, other))) return false;
  return true;
}

function objectNames(identities: readonly Identity[]): Set<string> {
  return new Set(identities.filter((i) => i.kind === "object").map((i) => i.name));
}

/**
 * Draws what a scene holds: how many items, which objects and shapes, repeats for counting,
 * then the cooccur bias, never a forbidden pair.
 *
 * @example
 * composeScene(new Generator(1), loadVocabulary(), { cooccur: 0.7, forbidden: new Set() });
 * // e.g. [{ kind: "object", name: "dog", color: null }, { kind: "object", name: "ball", color: null }]
 */
export function composeScene(g: Generator, vocab: SceneVocabulary, rules: CompositionRules): Identity[] {
  const [low, high] = vocab.items_per_scene;
  const colors = Object.keys(vocab.colors);
  const identities: Identity[] = [];
  if (rules.required) for (const name of rules.required) identities.push({ kind: "object", name, color: null });
  const count = Math.max(intBetween(g, low, high), identities.length);
  const group = count >= 2 && !rules.required && chance(g, GROUP_SHARE) ? intBetween(g, 2, count) : 0;

  while (identities.length < count) {
    if (group > 0 && identities.length > 0 && identities.length < group) {
      identities.push({ ...identities[0] });
      continue;
    }
    if (identities.length > 0 && chance(g, REPEAT_SHARE)) {
      const base = pick(g, identities);
      // A repeated shape keeps its colour half the time, so "how many blue circles" differs from "how many circles".
      identities.push(base.kind === "shape" && chance(g, 0.5) ? { ...base, color: pick(g, colors) } : { ...base });
    } else if (chance(g, OBJECT_SHARE)) {
      const present = objectNames(identities);
      const candidates = vocab.objects.filter((o) => allowedWith(o.name, present, rules.forbidden));
      identities.push({ kind: "object", name: pick(g, candidates).name, color: null });
    } else {
      identities.push({ kind: "shape", name: pick(g, vocab.shapes).name, color: pick(g, colors) });
    }
  }

  if (rules.cooccur > 0) {
    const inPair = new Set(vocab.cooccur.flat());
    for (const [a, b] of shuffled(g, vocab.cooccur)) {
      const present = objectNames(identities);
      if (present.has(a) === present.has(b) || !chance(g, rules.cooccur)) continue;
      const missing = present.has(a) ? b : a;
      if (!allowedWith(missing, present, rules.forbidden)) continue;
      const added: Identity = { kind: "object", name: missing, color: null };
      if (identities.length < high) {
        identities.push(added);
        continue;
      }
      // A full scene makes room by dropping something that no pair or requirement depends on.
      const replaceable = identities.flatMap((item, k) =>
        item.kind === "shape" || (!inPair.has(item.name) && !rules.required?.includes(item.name)) ? [k] : [],
      );
      if (replaceable.length > 0) identities[pick(g, replaceable)] = added;
    }
  }
  return identities;
}
