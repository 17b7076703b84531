/**
 * CHAIR, the object hallucination rate of Rohrbach et al. (2018), as its chair.py computes it:
 * a caption's object mentions are its words (NLTK tokens, lowercased, singularized by Pattern's
 * rules, two-word names joined) that are synonyms of an object; a mention is hallucinated when
 * its object is not among the image's objects. CHAIRi = hallucinated mentions / mentions,
 * CHAIRs = captions with a hallucination / captions.
 */
import { DatasetError } from "../../errors.js";
import type { CocoCaptions, CocoInstances, ImageObjectsLine } from "./files/chair.js";
import type { AnswerFile, LlavaQuestion, QuestionFile } from "./files/llava.js";
import type { Line } from "./files/read.js";
import { singularize } from "./text/singularize.js";
import { wordTokenize } from "./text/word-tokenize.js";

// chair.py's fixed rules for COCO: two-word names read as one word, and qualifiers that would
// otherwise name a person ("baby bird" is a bird, "passenger train" a train).
const COCO_TWO_WORD_NAMES = [
  "motor bike", "motor cycle", "air plane", "traffic light", "street light", "traffic signal", "stop light", "fire hydrant",
  "stop sign", "parking meter", "suit case", "sports ball", "baseball bat", "baseball glove", "tennis racket", "wine glass",
  "hot dog", "cell phone", "mobile phone", "teddy bear", "hair drier", "potted plant", "bow tie", "laptop computer",
  "stove top oven", "home plate",
];
const COCO_ANIMALS = ["bird", "cat", "dog", "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "animal", "cub"];
const COCO_VEHICLES = ["jet", "train"];

/** Word pairs (after singularizing) and the single word each stands for, as chair.py builds them. */
export function cocoDoubleWords(): Map<string, string> {
  const pairs = new Map<string, string>(COCO_TWO_WORD_NAMES.map((w) => [w, w]));
  for (const animal of COCO_ANIMALS) {
    pairs.set(`baby ${animal}`, animal);
    pairs.set(`adult ${animal}`, animal);
  }
  for (const vehicle of COCO_VEHICLES) pairs.set(`passenger ${vehicle}`, vehicle);
  pairs.set("bow tie", "tie");
  pairs.set("toilet seat", "toilet");
  // "glass" singularizes to "glas".
  pairs.set("wine glas", "wine glass");
  return pairs;
}

export interface ObjectMention {
  /** The word as found (after singularizing and joining). */
  word: string;
  /** Its object: the first name of its synonym line. */
  object: string;
}

/** The object words CHAIR looks for, from synonym groups (each object's name first). */
export class ChairVocabulary {
  private readonly objectOf = new Map<string, string>();

  constructor(
    synonyms: readonly (readonly string[])[],
    private readonly doubleWords: ReadonlyMap<string, string> = cocoDoubleWords(),
  ) {
    // A word on two lines belongs to the later one, as in chair.py's dict.
    for (const group of synonyms) for (const word of group) this.objectOf.set(word, group[0]);
  }

  /** The object a word names, if it is one of the vocabulary's words. */
  objectFor(word: string): string | undefined {
    return this.objectOf.get(word);
  }

  /**
   * The object mentions of a caption, in order.
   *
   * @example
   * new ChairVocabulary([["dog", "puppy"], ["toilet"], ["chair", "seat"]]).mentions("Two puppies near a toilet seat.");
   * // [{ word: "puppy", object: "dog" }, { word: "toilet", object: "toilet" }]
   */
  mentions(caption: string): ObjectMention[] {
    const words = wordTokenize(caption.toLowerCase()).map(singularize);
    let joined: string[] = [];
    for (let i = 0; i < words.length; ) {
      const pair = words.slice(i, i + 2).join(" ");
      const single = this.doubleWords.get(pair);
      if (single !== undefined) {
        joined.push(single);
        i += 2;
      } else {
        joined.push(words[i]);
        i += 1;
      }
    }
    // A toilet seat is not a chair.
    if (joined.includes("toilet") && joined.includes("seat")) joined = joined.filter((w) => w !== "seat");
    return joined.flatMap((word) => {
      const object = this.objectOf.get(word);
      return object === undefined ? [] : [{ word, object }];
    });
  }
}

/** Where the true objects of an image are looked up: by its file name or its (COCO) id. */
function imageKeys(question: LlavaQuestion): string[] {
  const keys = [`image:${question.image}`];
  const id = question.image_id ?? /(\d+)\.[A-Za-z]+$/.exec(question.image)?.[1];
  if (typeof id === "string" || typeof id === "number") keys.push(`id:${Number(id)}`);
  return keys;
}

/** The true objects per image, keyed as `imageKeys` looks them up. */
export type ImageObjects = Map<string, Set<string>>;

function add(objects: ImageObjects, key: string, found: Iterable<string>): void {
  const set = objects.get(key) ?? new Set<string>();
  for (const o of found) set.add(o);
  objects.set(key, set);
}

/**
 * An image's objects as chair.py takes them from COCO: the categories of its instance
 * annotations and the object words of its human captions.
 */
export function cocoImageObjects(vocabulary: ChairVocabulary, instances: CocoInstances | null, captions: CocoCaptions | null, source: string): ImageObjects {
  const objects: ImageObjects = new Map();
  if (instances) {
    const names = new Map(instances.categories.map((c) => [c.id, c.name]));
    for (const a of instances.annotations) {
      const name = names.get(a.category_id);
      const object = name === undefined ? undefined : vocabulary.objectFor(name);
      if (object === undefined) {
        throw new DatasetError(source, `category ${a.category_id} (${JSON.stringify(name ?? null)}) of image ${a.image_id} is not a word of the synonyms file`);
      }
      add(objects, `id:${a.image_id}`, [object]);
    }
  }
  if (captions) for (const c of captions.annotations) add(objects, `id:${c.image_id}`, vocabulary.mentions(c.caption).map((m) => m.object));
  return objects;
}

/** An image's objects from a `{"image" | "image_id", "objects"}` file; each name must be a vocabulary word. */
export function listedImageObjects(vocabulary: ChairVocabulary, listed: { file: string; lines: ReadonlyArray<Line<ImageObjectsLine>> }): ImageObjects {
  const objects: ImageObjects = new Map();
  for (const { value, line } of listed.lines) {
    const found = value.objects.map((name) => {
      const object = vocabulary.objectFor(name);
      if (object === undefined) throw new DatasetError(listed.file, `"${name}" is not a word of the synonyms file`, { line });
      return object;
    });
    if (value.image !== undefined) add(objects, `image:${value.image}`, found);
    if (value.image_id !== undefined) add(objects, `id:${Number(value.image_id)}`, found);
  }
  return objects;
}

export interface ChairItem {
  question_id: string | number;
  image: string;
  mentions: ObjectMention[];
  hallucinated: ObjectMention[];
  /** This caption's hallucinated mentions / mentions (0 without mentions). */
  chairI: number;
}

export interface ChairReport {
  benchmark: "chair";
  /** Captions with a hallucinated mention / captions. */
  chairS: number;
  /** Hallucinated mentions / mentions (NaN without mentions). */
  chairI: number;
  captions: number;
  mentions: number;
  hallucinatedMentions: number;
  hallucinatedCaptions: number;
  /** Captioned images that have no true objects at all (every mention of theirs counts as hallucinated). */
  imagesWithoutObjects: number;
  items: ChairItem[];
}

/**
 * CHAIR over LLaVA-format answers (the captions), their questions (for each one's image) and
 * the images' true objects.
 *
 * @example
 * const vocabulary = new ChairVocabulary(readSynonyms("synonyms.txt"));
 * const truth = cocoImageObjects(vocabulary, readCocoInstances("instances_val2014.json"), readCocoCaptions("captions_val2014.json"), "coco");
 * scoreChair(vocabulary, truth, { file: q, lines: readLlavaQuestions(q) }, { file: a, lines: readLlavaAnswers(a) }).chairS;
 */
export function scoreChair(
  vocabulary: ChairVocabulary,
  truth: ImageObjects,
  questions: QuestionFile,
  answers: AnswerFile,
): ChairReport {
  const questionOf = new Map(questions.lines.map((q) => [String(q.value.question_id), q.value]));
  const missingImages = new Set<string>();
  const items = answers.lines.map(({ value, line }) => {
    const question = questionOf.get(String(value.question_id));
    if (!question) throw new DatasetError(answers.file, `question ${JSON.stringify(value.question_id)} is not in ${questions.file}`, { line });
    const key = imageKeys(question).find((k) => truth.has(k));
    if (key === undefined) missingImages.add(question.image);
    const objects = key === undefined ? new Set<string>() : truth.get(key)!;
    const mentions = vocabulary.mentions(value.text);
    const hallucinated = mentions.filter((m) => !objects.has(m.object));
    return { question_id: value.question_id, image: question.image, mentions, hallucinated, chairI: mentions.length ? hallucinated.length / mentions.length : 0 };
  });
  const mentions = items.reduce((n, i) => n + i.mentions.length, 0);
  const hallucinatedMentions = items.reduce((n, i) => n + i.hallucinated.length, 0);
  const hallucinatedCaptions = items.filter((i) => i.hallucinated.length > 0).length;
  return {
    benchmark: "chair",
    chairS: hallucinatedCaptions / items.length,
    chairI: hallucinatedMentions / mentions,
    captions: items.length,
    mentions,
    hallucinatedMentions,
    hallucinatedCaptions,
    imagesWithoutObjects: missingImages.size,
    items,
  };
}
