/**
 * POPE (Li et al. 2023, "Evaluating Object Hallucination in Large Vision-Language Models"):
 * yes/no questions about objects, half present, half absent, the absent ones drawn three ways.
 */
import type { Generator } from "../../tensor/random.js";
import { pairKey } from "./compose.js";
import { shuffled } from "./draw.js";
import { withArticle } from "./language.js";
import { POPE_TEMPLATE } from "./phrasings.js";
import type { Scene } from "./scene.js";
import { objectsIn, type ObjectStats } from "./stats.js";
import type { SceneVocabulary } from "./vocabulary.js";

export const POPE_SAMPLINGS = ["random", "popular", "adversarial"] as const;
export type PopeSampling = (typeof POPE_SAMPLINGS)[number];

/** A line of a POPE question file, in POPE's own format. */
export interface PopeQuestion {
  question_id: string;
  image: string;
  text: string;
  label: "yes" | "no";
}

/**
 * The absent objects to ask about, POPE's three ways: at random; the most frequent in the
 * training data (popular); those that co-occur most with the present objects in the training
 * data (adversarial). Ties go to the more frequent object, then by name.
 */
export function popeNegatives(g: Generator, sampling: PopeSampling, present: readonly string[], absent: readonly string[], stats: ObjectStats, k: number): string[] {
  if (sampling === "random") return shuffled(g, absent).slice(0, k);
  const frequency = (name: string): number => stats.frequency.get(name) ?? 0;
  const withPresent = (name: string): number => present.reduce((sum, p) => sum + (stats.cooccurrence.get(pairKey(name, p)) ?? 0), 0);
  const score = sampling === "popular" ? frequency : withPresent;
  return [...absent].sort((a, b) => score(b) - score(a) || frequency(b) - frequency(a) || (a < b ? -1 : 1)).slice(0, k);
}

/** Yes questions per image, as POPE asks (fewer when a scene holds fewer objects). */
export const POPE_PER_IMAGE = 3;

/**
 * POPE questions for one scene: up to 3 present objects and as many absent ones, so every
 * image is balanced; scenes without objects give none.
 */
export function popeQuestions(g: Generator, scene: Scene, vocab: SceneVocabulary, stats: ObjectStats, sampling: PopeSampling): PopeQuestion[] {
  const present = objectsIn(scene);
  const absent = vocab.objects.map((o) => o.name).filter((name) => !present.includes(name));
  const k = Math.min(POPE_PER_IMAGE, present.length, absent.length);
  const asked = [
    ...shuffled(g, present).slice(0, k).map((name) => ({ name, label: "yes" as const })),
    ...popeNegatives(g, sampling, present, absent, stats, k).map((name) => ({ name, label: "no" as const })),
  ];
  return shuffled(g, asked).map(({ name, label }, j) => ({
    question_id: `${scene.id}-pope-${sampling}-${j}`,
    image: scene.image,
    text: POPE_TEMPLATE.replace("{a_target}", withArticle(name)),
    label,
  }));
}
