/**
 * The splits of the scene data and how each one's scenes are drawn. Every scene comes from its
 * own random stream, seeded by (seed, split, index, purpose), so a scene never depends on how
 * many others are built or in which order.
 */
import { ArgumentError } from "../../errors.js";
import { Generator } from "../../tensor/random.js";
import { mixSeed } from "../seed.js";
import { sampleBackground } from "./background.js";
import { composeScene, pairKey } from "./compose.js";
import { pick, shuffled } from "./draw.js";
import { type Drawing, layoutItems } from "./layout.js";
import type { Scene } from "./scene.js";
import type { SceneVocabulary } from "./vocabulary.js";

export const SCENE_SPLITS = ["train", "val", "test-style", "test-combos", "test-pope"] as const;
export type SceneSplit = (typeof SCENE_SPLITS)[number];

/** What each split is for, as the README and summary say it. */
export const SPLIT_ROLES: Readonly<Record<SceneSplit, string>> = {
  train: "training styles, cooccur bias, no held-out pair",
  val: "new scenes drawn like train",
  "test-style": "the held-out style (Twemoji), otherwise drawn like train",
  "test-combos": "training styles, every scene holds one held-out object pair",
  "test-pope": "the held-out style, no cooccur bias (pairs at chance), for POPE",
};

/** Which random stream a seed feeds, so the layout of a scene and its questions do not share one. */
export const PURPOSE = { scene: 0, pretrain: 1, instruct: 2, eval: 3, pope: 4 } as const;

export interface SplitPlan {
  split: SceneSplit;
  count: number;
  styles: readonly string[];
  cooccur: number;
  /** Held-out object pairs that never share a scene. */
  forbidden: ReadonlySet<string>;
  /** Pairs one of which each scene must hold (scene k holds pair k mod n). */
  required: readonly (readonly [string, string])[];
}

export interface PlanOptions {
  count: number;
  evalCount: number;
  cooccur: number;
  heldOutPairs: readonly (readonly [string, string])[];
  trainingStyles: readonly string[];
  heldOutStyle: string;
}

/**
 * Object pairs held out of training: never a cooccur pair (those must appear together), drawn
 * from the seed so a build names its own.
 */
export function chooseHeldOutPairs(vocab: SceneVocabulary, n: number, seed: number): [string, string][] {
  const cooccur = new Set(vocab.cooccur.map(([a, b]) => pairKey(a, b)));
  const names = vocab.objects.map((o) => o.name);
  const pairs = names.flatMap((a, i) => names.slice(i + 1).map((b): [string, string] => [a, b])).filter(([a, b]) => !cooccur.has(pairKey(a, b)));
  if (n > pairs.length) throw new ArgumentError(`cannot hold out ${n} object pairs: only ${pairs.length} are not cooccur pairs`);
  return shuffled(new Generator(mixSeed(seed, 0x9a125)), pairs).slice(0, n);
}

export function planSplits(o: PlanOptions): SplitPlan[] {
  const forbidden = new Set(o.heldOutPairs.map(([a, b]) => pairKey(a, b)));
  const held = [o.heldOutStyle];
  const plan = (split: SceneSplit, count: number, styles: readonly string[], cooccur: number, required: SplitPlan["required"] = []): SplitPlan => ({
    split, count, styles, cooccur, forbidden, required,
  });
  return [
    plan("train", o.count, o.trainingStyles, o.cooccur),
    plan("val", o.evalCount, o.trainingStyles, o.cooccur),
    plan("test-style", o.evalCount, held, o.cooccur),
    plan("test-combos", o.heldOutPairs.length > 0 ? o.evalCount : 0, o.trainingStyles, o.cooccur, o.heldOutPairs),
    plan("test-pope", o.evalCount, held, 0),
  ];
}

export interface SampledScene {
  scene: Scene;
  drawings: Drawing[];
}

export function sceneSeed(seed: number, split: SceneSplit, index: number, purpose: number): number {
  return mixSeed(seed, SCENE_SPLITS.indexOf(split), index, purpose);
}

/** Scene `index` of a split: its style, background and items (drawn again until they fit). */
export function sampleScene(vocab: SceneVocabulary, plan: SplitPlan, index: number, seed: number): SampledScene {
  const g = new Generator(sceneSeed(seed, plan.split, index, PURPOSE.scene));
  const required = plan.required.length > 0 ? plan.required[index % plan.required.length] : undefined;
  const forbidden = required ? new Set([...plan.forbidden].filter((key) => key !== pairKey(...required))) : plan.forbidden;
  const size = vocab.image_size[0];
  for (;;) {
    const identities = composeScene(g, vocab, { cooccur: plan.cooccur, forbidden, required });
    const placed = layoutItems(g, identities, vocab.colors, size);
    if (!placed) continue;
    const padded = String(index).padStart(6, "0");
    const scene: Scene = {
      id: `${plan.split}-${padded}`,
      split: plan.split,
      image: `${plan.split}/${padded}.png`,
      style: pick(g, plan.styles),
      background: sampleBackground(g),
      items: placed.map((p) => p.item),
    };
    return { scene, drawings: placed.map((p) => p.drawing) };
  }
}
