/**
 * Questions about a scene, with their answers worked out from the ground truth: first what is
 * asked (a spec), drawn so yes and no are equally likely and counts include 0; then its words,
 * from a phrasing set; then the short answer and a full-sentence answer.
 */
import type { Generator } from "../../tensor/random.js";
import { chance, pick, shuffled } from "./draw.js";
import { clearlyApart, countOf, holds, type Reference, referenceTo, relationAxis, resolve, sideOf, type Target } from "./facts.js";
import { counted, describe, plural, singular, withArticle } from "./language.js";
import type { Axis, PhrasingSet, Relation } from "./phrasings.js";
import type { Scene, SceneItem } from "./scene.js";
import type { SceneVocabulary } from "./vocabulary.js";

export const QUESTION_KINDS = ["exist", "count", "color", "shape", "position", "relation", "describe"] as const;
export type QuestionKind = (typeof QUESTION_KINDS)[number];

export type QuestionSpec =
  | { kind: "exist"; target: Target }
  | { kind: "count"; target: Target }
  | { kind: "color"; shape: string }
  | { kind: "shape"; color: string }
  | { kind: "position"; ref: Reference; axis: Axis }
  | { kind: "relation"; a: Reference; relation: Relation; b: Reference }
  | { kind: "describe" };

export interface Question {
  spec: QuestionSpec;
  /** The question as asked, without LLaVA's short-answer suffix. */
  text: string;
  /** The short answer, lower case: "yes", "3", "red", "circle", "left"; the sentence for describe. */
  answer: string;
  /** The same answer as a full sentence, for conversation turns. */
  sentence: string;
}

/** Shares of count questions whose answer is 0, and of exist questions whose answer is yes. */
const ZERO_COUNT_SHARE = 0.2;
const YES_SHARE = 0.5;

function targetOf(item: SceneItem): Target {
  return item.kind === "object" ? { kind: "object", name: item.name } : { kind: "shape", name: item.name, color: item.color };
}

/** A target in the scene: an object, a shape by name or by colour and name. */
function presentTarget(g: Generator, items: readonly SceneItem[]): Target {
  const item = pick(g, items);
  if (item.kind === "shape" && chance(g, 0.4)) return { kind: "shape", name: item.name, color: null };
  return targetOf(item);
}

/** Every distinct target in the scene (objects, shapes by name, shapes by colour and name), with its count. */
function presentTargets(items: readonly SceneItem[]): { target: Target; n: number }[] {
  const seen = new Map<string, Target>();
  for (const item of items) {
    const own = targetOf(item);
    seen.set(JSON.stringify(own), own);
    if (item.kind === "shape") seen.set(`shape:${item.name}`, { kind: "shape", name: item.name, color: null });
  }
  return [...seen.values()].map((target) => ({ target, n: countOf(items, target) }));
}

/** A target nowhere in the scene; objects twice as often as shapes. */
function absentTarget(g: Generator, vocab: SceneVocabulary, items: readonly SceneItem[]): Target {
  const absentObjects = vocab.objects.filter((o) => countOf(items, { kind: "object", name: o.name }) === 0);
  if (absentObjects.length > 0 && chance(g, 2 / 3)) return { kind: "object", name: pick(g, absentObjects).name };
  const shapes: Target[] = vocab.shapes.flatMap((s) => [
    { kind: "shape" as const, name: s.name, color: null },
    ...Object.keys(vocab.colors).map((color) => ({ kind: "shape" as const, name: s.name, color })),
  ]);
  return pick(g, shapes.filter((t) => countOf(items, t) === 0));
}

/** Items that a reference picks out alone. */
function referable(items: readonly SceneItem[]): { item: SceneItem; ref: Reference }[] {
  return items.flatMap((item) => {
    const ref = referenceTo(item, items);
    return ref ? [{ item, ref }] : [];
  });
}

export interface SpecOptions {
  /** Objects to ask about first where the kind allows (the held-out pairs of the combinations split). */
  focus?: readonly string[];
  /** Force the answer of an exist question (yes/no balance is then the caller's). */
  present?: boolean;
}

/**
 * One answerable question of `kind` about the scene, or null when the scene offers none (no
 * shape alone of its name for "color", no two items clearly apart for "relation", ...).
 */
export function drawSpec(g: Generator, kind: QuestionKind, scene: Scene, vocab: SceneVocabulary, options: SpecOptions = {}): QuestionSpec | null {
  const items = scene.items;
  const size = vocab.image_size[0];
  const focus = (options.focus ?? []).filter((name) => countOf(items, { kind: "object", name }) > 0);
  switch (kind) {
    case "exist": {
      const present = options.present ?? chance(g, YES_SHARE);
      if (!present) return { kind, target: absentTarget(g, vocab, items) };
      return { kind, target: focus.length > 0 ? { kind: "object", name: pick(g, focus) } : presentTarget(g, items) };
    }
    case "count": {
      if (chance(g, ZERO_COUNT_SHARE)) return { kind, target: absentTarget(g, vocab, items) };
      if (focus.length > 0) return { kind, target: { kind: "object", name: pick(g, focus) } };
      if (chance(g, 0.1)) return { kind, target: { kind: "any" } };
      // Most things in a scene are there once: drawing the answer first, then a target with
      // that count, keeps 2-6 from being rare answers.
      const targets = presentTargets(items);
      const n = pick(g, [...new Set(targets.map((t) => t.n))]);
      return { kind, target: pick(g, targets.filter((t) => t.n === n)).target };
    }
    case "color": {
      const lone = items.filter((item) => item.kind === "shape" && countOf(items, { kind: "shape", name: item.name, color: null }) === 1);
      return lone.length > 0 ? { kind, shape: pick(g, lone).name } : null;
    }
    case "shape": {
      const lone = items.filter((item) => item.color !== null && items.filter((other) => other.color === item.color).length === 1);
      return lone.length > 0 ? { kind, color: pick(g, lone).color! } : null;
    }
    case "position": {
      const options = referable(items).flatMap(({ item, ref }) =>
        (["horizontal", "vertical"] as const).filter((axis) => sideOf(item, axis, size) !== null).map((axis) => ({ ref, axis, focused: focus.includes(item.name) })),
      );
      const preferred = options.some((o) => o.focused) ? options.filter((o) => o.focused) : options;
      if (preferred.length === 0) return null;
      const { ref, axis } = pick(g, preferred);
      return { kind, ref, axis };
    }
    case "relation": {
      const named = referable(items);
      const pairs = named.flatMap((a) =>
        named.flatMap((b) =>
          a === b ? [] : (["horizontal", "vertical"] as const).filter((axis) => clearlyApart(a.item, b.item, axis, size)).map((axis) => ({ a, b, axis })),
        ),
      );
      const focused = pairs.filter((p) => focus.includes(p.a.item.name) && focus.includes(p.b.item.name));
      const preferred = focused.length > 0 ? focused : pairs;
      if (preferred.length === 0) return null;
      const { a, b, axis } = pick(g, preferred);
      // Either relation of the axis, at random: the answer is yes or no equally often.
      const relation: Relation = axis === "horizontal" ? pick(g, ["left of", "right of"] as const) : pick(g, ["above", "below"] as const);
      return { kind, a: a.ref, relation, b: b.ref };
    }
    case "describe":
      return { kind };
  }
}

const refWords = (ref: Reference): string => singular(ref);

/** The question in one phrasing of `phrasings`, drawn by `g`, with both answers. */
export function phrase(g: Generator, spec: QuestionSpec, scene: Scene, vocab: SceneVocabulary, phrasings: PhrasingSet): Question {
  const items = scene.items;
  const size = vocab.image_size[0];
  const fill = (templates: readonly string[], slots: Record<string, string>): string =>
    pick(g, templates).replace(/\{(\w+)\}/g, (_, key: string) => slots[key]);
  switch (spec.kind) {
    case "exist": {
      const n = countOf(items, spec.target);
      const noun = singular(spec.target);
      const text = fill(phrasings.exist, { a_target: withArticle(noun), target: noun, targets: plural(vocab, spec.target) });
      const sentence = n === 0 ? `No, there is no ${noun} in the image.` : `Yes, there ${n === 1 ? "is" : "are"} ${counted(vocab, spec.target, n)} in the image.`;
      return { spec, text, answer: n > 0 ? "yes" : "no", sentence };
    }
    case "count": {
      const n = countOf(items, spec.target);
      const text = fill(phrasings.count, { targets: plural(vocab, spec.target) });
      // "one", not "a": the answer to a count is the number.
      const sentence = n === 0 ? `There are no ${plural(vocab, spec.target)}.` : n === 1 ? `There is one ${singular(spec.target)}.` : `There are ${counted(vocab, spec.target, n)}.`;
      return { spec, text, answer: String(n), sentence };
    }
    case "color": {
      const color = resolve({ kind: "shape", name: spec.shape, color: null }, items).color!;
      return { spec, text: fill(phrasings.color, { shape: spec.shape }), answer: color, sentence: `The ${spec.shape} is ${color}.` };
    }
    case "shape": {
      const [item] = items.filter((i) => i.color === spec.color);
      return { spec, text: fill(phrasings.shape, { color: spec.color }), answer: item.name, sentence: `The ${spec.color} shape is ${withArticle(item.name)}.` };
    }
    case "position": {
      const side = sideOf(resolve(spec.ref, items), spec.axis, size)!;
      const words = refWords(spec.ref);
      const where = spec.axis === "horizontal" ? `on the ${side} side` : `at the ${side}`;
      return { spec, text: fill(phrasings.position[spec.axis], { ref: words }), answer: side, sentence: `The ${words} is ${where} of the image.` };
    }
    case "relation": {
      const [a, b] = [resolve(spec.a, items), resolve(spec.b, items)];
      const yes = holds(a, spec.relation, b);
      const [aw, bw] = [refWords(spec.a), refWords(spec.b)];
      const opposite: Record<Relation, Relation> = { "left of": "right of", "right of": "left of", above: "below", below: "above" };
      const said = (relation: Relation): string => (relationAxis(relation) === "horizontal" ? `to the ${relation}` : relation);
      const sentence = yes ? `Yes, the ${aw} is ${said(spec.relation)} the ${bw}.` : `No, the ${aw} is ${said(opposite[spec.relation])} the ${bw}.`;
      return { spec, text: fill(phrasings.relation[spec.relation], { a: aw, b: bw }), answer: yes ? "yes" : "no", sentence };
    }
    case "describe": {
      const sentence = describe(vocab, scene);
      return { spec, text: fill(phrasings.describe, {}), answer: sentence, sentence };
    }
  }
}

/** One question per kind that the scene can answer, the kinds in a random order. */
export function drawQuestions(g: Generator, scene: Scene, vocab: SceneVocabulary, phrasings: PhrasingSet, kinds: readonly QuestionKind[], options: SpecOptions = {}): Question[] {
  const out: Question[] = [];
  for (const kind of shuffled(g, kinds)) {
    const spec = drawSpec(g, kind, scene, vocab, options);
    if (spec) out.push(phrase(g, spec, scene, vocab, phrasings));
  }
  return out;
}
