/** Words for scenes: noun phrases, numbers, the one-sentence description and the captions. */
import type { Generator } from "../../tensor/random.js";
import { article } from "../icons/captions.js";
import { pick } from "./draw.js";
import { leftToRight, type Target } from "./facts.js";
import type { Background, Scene, SceneItem } from "./scene.js";
import type { SceneVocabulary } from "./vocabulary.js";

export const NUMBER_WORDS = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"] as const;

export function numberWord(n: number): string {
  return NUMBER_WORDS[n] ?? String(n);
}

function pluralOf(vocab: SceneVocabulary, name: string): string {
  return vocab.objects.find((o) => o.name === name)?.plural ?? vocab.shapes.find((s) => s.name === name)?.plural ?? `${name}s`;
}

/** "dog", "red circle", "circle"; "item" for every item. */
export function singular(target: Target): string {
  if (target.kind === "any") return "item";
  return target.kind === "shape" && target.color ? `${target.color} ${target.name}` : target.name;
}

/** "dogs", "red circles", "fish"; "items". */
export function plural(vocab: SceneVocabulary, target: Target): string {
  if (target.kind === "any") return "items";
  const noun = pluralOf(vocab, target.name);
  return target.kind === "shape" && target.color ? `${target.color} ${noun}` : noun;
}

/** "a dog", "an orange star". */
export function withArticle(phrase: string): string {
  return `${article(phrase)} ${phrase}`;
}

/** "two dogs", "a ball", "no cats". */
export function counted(vocab: SceneVocabulary, target: Target, n: number): string {
  return n === 1 ? withArticle(singular(target)) : `${numberWord(n)} ${plural(vocab, target)}`;
}

/** "a, b and c". */
export function joinList(parts: readonly string[]): string {
  return parts.length <= 1 ? (parts[0] ?? "") : `${parts.slice(0, -1).join(", ")} and ${parts.at(-1)}`;
}

function targetOf(item: SceneItem): Target {
  return item.kind === "object" ? { kind: "object", name: item.name } : { kind: "shape", name: item.name, color: item.color };
}

/**
 * Every item, grouped ("two dogs"), in reading order of each group's leftmost member:
 * "two dogs, a ball and a red circle". Shapes carry their colour, so the list is the full
 * ground truth minus positions.
 */
export function itemList(vocab: SceneVocabulary, items: readonly SceneItem[]): string {
  const groups = new Map<string, { target: Target; n: number }>();
  for (const item of leftToRight(items)) {
    const key = `${item.kind}|${item.name}|${item.color ?? ""}`;
    const group = groups.get(key);
    if (group) group.n++;
    else groups.set(key, { target: targetOf(item), n: 1 });
  }
  return joinList([...groups.values()].map(({ target, n }) => counted(vocab, target, n)));
}

/** The answer to "describe the image": one sentence naming every item. */
export function describe(vocab: SceneVocabulary, scene: Scene): string {
  return `The image shows ${itemList(vocab, scene.items)}.`;
}

function backgroundWord(background: Background): string {
  if (background.kind !== "texture") return background.kind;
  return { noise: "mottled", stripes: "striped", dots: "dotted", checks: "checkered" }[background.pattern];
}

const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** All the caption forms of a scene (for CLIP, which draws one per epoch). */
export function captions(vocab: SceneVocabulary, scene: Scene): string[] {
  const list = itemList(vocab, scene.items);
  const bg = `${withArticle(backgroundWord(scene.background))} background`;
  return [`${capitalise(list)}.`, `${capitalise(list)} on ${bg}.`, `A picture of ${list}.`, `An image with ${list} on ${bg}.`];
}

/** One caption for the stage-1 (LLaVA-Pretrain) set, drawn from `captions`. */
export function caption(g: Generator, vocab: SceneVocabulary, scene: Scene): string {
  return pick(g, captions(vocab, scene));
}
