/**
 * Evaluation files for a held-out split, in the formats LLaVA's scripts read: questions as
 * `model_vqa_loader` takes them, ground-truth answers beside them, and CHAIR's object
 * annotations with the vocabulary's synonyms.
 */
import type { Generator } from "../../tensor/random.js";
import { drawSpec, phrase, type Question, type QuestionKind, type QuestionSpec } from "./questions.js";
import type { PhrasingSet } from "./phrasings.js";
import type { Scene } from "./scene.js";
import type { SceneVocabulary } from "./vocabulary.js";

/** A line of a question file for LLaVA's `model_vqa_loader`. */
export interface VqaQuestion {
  question_id: string;
  image: string;
  /** Short-answer questions end with LLaVA-1.5's suffix, as LLaVA's own eval files do. */
  text: string;
  /** The question kind. */
  category: QuestionKind;
}

/**
 * A line of the answers file: what a scorer compares the model's answer with. It reads as
 * reference answers for `vlm eval score chartqa` (exact up to case, per `category`).
 */
export interface VqaAnswer {
  question_id: string;
  image: string;
  kind: QuestionKind;
  /** The kind again, under the name reference readers group by. */
  category: QuestionKind;
  /** Lower case; for describe, the reference sentence. */
  answer: string;
  /** The question without the suffix, and the answer as a sentence. */
  question: string;
  sentence: string;
  /** What was asked, machine-readable (target, reference, relation...). */
  spec: QuestionSpec;
}

/**
 * The test questions of one scene: an exist question answered yes and one answered no (so
 * yes/no is balanced exactly), then one of each other kind the scene can answer. `focus`
 * objects (the held-out pair in the combinations split) are asked about first.
 */
export function evalQuestions(g: Generator, scene: Scene, vocab: SceneVocabulary, phrasings: PhrasingSet, focus: readonly string[] = []): Question[] {
  const specs: (QuestionSpec | null)[] = [
    drawSpec(g, "exist", scene, vocab, { focus, present: true }),
    drawSpec(g, "exist", scene, vocab, { present: false }),
    ...(["count", "color", "shape", "position", "relation", "describe"] as const).map((kind) => drawSpec(g, kind, scene, vocab, { focus })),
  ];
  return specs.flatMap((spec) => (spec ? [phrase(g, spec, scene, vocab, phrasings)] : []));
}

export function vqaLines(scene: Scene, questions: readonly Question[], suffix: string): { question: VqaQuestion; answer: VqaAnswer }[] {
  return questions.map((q, k) => {
    const question_id = `${scene.id}-${k}`;
    const text = q.spec.kind === "describe" ? q.text : `${q.text}\n${suffix}`;
    return {
      question: { question_id, image: scene.image, text, category: q.spec.kind },
      answer: { question_id, image: scene.image, kind: q.spec.kind, category: q.spec.kind, answer: q.answer, question: q.text, sentence: q.sentence, spec: q.spec },
    };
  });
}

/**
 * A line of `chair.jsonl`: the CHAIR categories in one image, objects and shapes alike (a
 * described shape that is not there is a hallucination too), as `vlm eval chair --objects` reads them.
 */
export interface ChairAnnotation {
  image: string;
  objects: string[];
}

export function chairAnnotation(scene: Scene): ChairAnnotation {
  return { image: scene.image, objects: [...new Set(scene.items.map((i) => i.name))].sort() };
}

/**
 * Words that name each category in a caption, for CHAIR: the name, its plural, and the
 * Emojibase label the drawings are filed under ("automobile", "red apple") with its plural
 * where the label ends in a noun that pluralises simply. Each group starts with its name.
 */
export function chairSynonyms(vocab: SceneVocabulary): string[][] {
  const objects = vocab.objects.map((o) => {
    const words = [o.name, o.plural, o.emojibase_label];
    const label = o.emojibase_label;
    if (label.endsWith(` ${o.name}`)) words.push(`${label.slice(0, -o.name.length)}${o.plural}`);
    else if (label !== o.name && !label.includes(" ")) words.push(`${label}s`);
    return [...new Set(words)];
  });
  return [...objects, ...vocab.shapes.map((s) => [s.name, s.plural])];
}

/** CHAIR's synonyms.txt: one category a line, its name first, words separated by ", ". */
export function synonymsText(groups: readonly (readonly string[])[]): string {
  return groups.map((words) => words.join(", ")).join("\n") + "\n";
}
