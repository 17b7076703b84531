/**
 * Training records in LLaVA's own JSON: LLaVA-Pretrain (stage 1, captions) and
 * LLaVA-Instruct / llava_v1_5_mix665k (stage 2, conversations), so the same loader reads these
 * and a user's LLaVA data.
 */
import type { Generator } from "../../tensor/random.js";
import { chance, pick, weightedIndex } from "./draw.js";
import { caption } from "./language.js";
import { CAPTION_PROMPTS, type PhrasingSet } from "./phrasings.js";
import { drawSpec, phrase, type Question, type QuestionKind } from "./questions.js";
import type { Scene } from "./scene.js";
import type { SceneVocabulary } from "./vocabulary.js";

export interface Turn {
  from: "human" | "gpt";
  value: string;
}

/** One element of LLaVA's training JSON array. */
export interface LlavaRecord {
  id: string;
  /** Relative to the image folder (LLaVA's `--image_folder`). */
  image: string;
  conversations: Turn[];
}

export const IMAGE_TOKEN = "<image>";

/** The first human turn carries the image token, on a line of its own before the text, as LLaVA's data does. */
function conversation(pairs: readonly [string, string][]): Turn[] {
  return pairs.flatMap(([human, gpt], k) => [
    { from: "human" as const, value: k === 0 ? `${IMAGE_TOKEN}\n${human}` : human },
    { from: "gpt" as const, value: gpt },
  ]);
}

/** A stage-1 record: a brief-description instruction and the scene's caption. */
export function pretrainRecord(g: Generator, scene: Scene, vocab: SceneVocabulary): LlavaRecord {
  return { id: scene.id, image: scene.image, conversations: conversation([[pick(g, CAPTION_PROMPTS), caption(g, vocab, scene)]]) };
}

/** How often each kind is drawn for a turn; describe only in conversations (its answer is a sentence). */
const KIND_WEIGHTS: Readonly<Record<QuestionKind, number>> = { exist: 4, count: 3, color: 1.5, shape: 1.5, position: 1.5, relation: 2, describe: 1 };
/** Turns per record, 1 to 6: short records are as common as LLaVA's single-question ones. */
const TURN_WEIGHTS = [0, 1, 1.5, 2, 2, 2, 1.5];
/**
 * Share of records made of short answers, each question ending in LLaVA-1.5's suffix (as its
 * VQAv2/GQA part); the rest are conversations answered in full sentences (as LLaVA-Instruct).
 */
const SHORT_RECORD_SHARE = 0.65;

/**
 * A stage-2 record: several questions about one scene, all short-answer (with `suffix`) or all
 * answered in sentences. Questions in one record are distinct.
 *
 * @example
 * instructRecord(new Generator(1), scene, vocab, TRAIN_PHRASINGS);
 * // { id, image, conversations: [{ from: "human", value: "<image>\nHow many dogs are there?\nAnswer the question using a single word or phrase." }, { from: "gpt", value: "2" }, ...] }
 */
export function instructRecord(g: Generator, scene: Scene, vocab: SceneVocabulary, phrasings: PhrasingSet): LlavaRecord {
  const short = chance(g, SHORT_RECORD_SHARE);
  const kinds = (Object.keys(KIND_WEIGHTS) as QuestionKind[]).filter((k) => !(short && k === "describe"));
  const weights = kinds.map((k) => KIND_WEIGHTS[k]);
  const turns = weightedIndex(g, TURN_WEIGHTS);
  const questions: Question[] = [];
  const asked = new Set<string>();
  // Exist answers alternate within a record, from a random start: a scene has few things to
  // say yes about and many to say no about, so rejecting repeats would otherwise favour no.
  let nextPresent = chance(g, 0.5);
  let existDone = false;
  // Bounded, since a one-item scene may have fewer distinct questions than turns wanted; but
  // never empty (count questions are always possible).
  for (let attempt = 0; questions.length === 0 || (questions.length < turns && attempt < turns * 4); attempt++) {
    const kind = kinds[weightedIndex(g, weights)];
    if (kind === "exist" && existDone) continue;
    const spec = drawSpec(g, kind, scene, vocab, { present: nextPresent });
    if (!spec) continue;
    const key = JSON.stringify(spec);
    if (asked.has(key)) {
      if (kind === "exist") existDone = true;
      continue;
    }
    asked.add(key);
    if (kind === "exist") nextPresent = !nextPresent;
    questions.push(phrase(g, spec, scene, vocab, phrasings));
  }
  // Repeats end runs on a yes more often than on a no: an odd exist question out is dropped,
  // so every record says yes exactly as often as no.
  const exist = questions.filter((q) => q.spec.kind === "exist");
  if (exist.length % 2 === 1 && questions.length > 1) questions.splice(questions.lastIndexOf(exist.at(-1)!), 1);
  const pairs = questions.map((q): [string, string] => (short ? [`${q.text}\n${vocab.answer_suffix}`, q.answer] : [q.text, q.sentence]));
  return { id: scene.id, image: scene.image, conversations: conversation(pairs) };
}

/** LLaVA's JSON array, one record per line so that diffs and `head` stay readable. */
export function recordsJson(records: readonly LlavaRecord[]): string {
  return `[\n${records.map((r) => JSON.stringify(r)).join(",\n")}\n]\n`;
}
