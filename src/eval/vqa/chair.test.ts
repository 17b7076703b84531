/**
 * CHAIR cases from chair.py (LisaAnne/Hallucination, utils/chair.py): caption_to_words
 * (tokenize, singularize, two-word names, the toilet-seat rule, synonyms), the true objects
 * from COCO instances and human captions, and CHAIRi / CHAIRs.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { DatasetError } from "../../errors.js";
import { linesOf } from "../../../test/support/vqa-files.js";
import { ChairVocabulary, cocoDoubleWords, cocoImageObjects, listedImageObjects, scoreChair } from "./chair.js";

// The shape of CHAIR's synonyms.txt: an object's name, then its other words.
const vocabulary = new ChairVocabulary([
  ["person", "man", "woman", "people", "boy"],
  ["dog", "puppy"],
  ["cat", "kitten"],
  ["toilet"],
  ["chair", "seat", "stool"],
  ["bird"],
  ["wine glass"],
  ["tie", "bow tie"],
]);

const mentions = (caption: string) => vocabulary.mentions(caption).map((m) => `${m.word}=${m.object}`);

test("object mentions of a caption", () => {
  // Plurals are singularized, then each synonym stands for its line's first word.
  assert.deepEqual(mentions("A man and two women walk their puppies."), ["man=person", "woman=person", "puppy=dog"]);
  // "toilet seat" is one word (toilet), so "seat" is no chair.
  assert.deepEqual(mentions("Two kittens on a toilet seat."), ["kitten=cat", "toilet=toilet"]);
  // And with "toilet" anywhere in the caption, every "seat" goes.
  assert.deepEqual(mentions("a seat, a stool and a toilet"), ["stool=chair", "toilet=toilet"]);
  // "baby bird" is a bird (not a person); "wine glasses" -> "wine glass" -> the two-word name.
  assert.deepEqual(mentions("A baby bird drinks from wine glasses."), ["bird=bird"].concat(["wine glass=wine glass"]));
  // "glass" singularizes to "glas": "wine glas" is mapped back by its own rule.
  assert.deepEqual(mentions("a wine glass"), ["wine glass=wine glass"]);
  // "bow tie" is a tie.
  assert.deepEqual(mentions("a boy in a bow tie"), ["boy=person", "tie=tie"]);
  // Words are tokens: "dog-like" is not "dog"; case does not matter.
  assert.deepEqual(mentions("A DOG-like Cat."), ["cat=cat"]);
});

test("chair.py's two-word rules", () => {
  const pairs = cocoDoubleWords();
  assert.equal(pairs.get("baby cat"), "cat");
  assert.equal(pairs.get("adult giraffe"), "giraffe");
  assert.equal(pairs.get("passenger train"), "train");
  assert.equal(pairs.get("bow tie"), "tie");
  assert.equal(pairs.get("toilet seat"), "toilet");
  assert.equal(pairs.get("traffic light"), "traffic light");
});

test("a word on two synonym lines belongs to the later one, as in chair.py's dict", () => {
  const v = new ChairVocabulary([["chair", "seat"], ["bench", "seat"]]);
  assert.deepEqual(v.mentions("a seat").map((m) => m.object), ["bench"]);
});

const questions = linesOf("questions.jsonl", [
  { question_id: 1, image: "COCO_val2014_000000000001.jpg", text: "Describe the image." },
  { question_id: 2, image: "COCO_val2014_000000000002.jpg", text: "Describe the image." },
  { question_id: 3, image: "COCO_val2014_000000000003.jpg", text: "Describe the image." },
]);
const instances = {
  annotations: [{ image_id: 1, category_id: 1 }, { image_id: 1, category_id: 18 }, { image_id: 2, category_id: 17 }, { image_id: 3, category_id: 16 }],
  categories: [{ id: 1, name: "person" }, { id: 16, name: "bird" }, { id: 17, name: "cat" }, { id: 18, name: "dog" }],
};
const humanCaptions = { annotations: [{ image_id: 2, caption: "A cat sitting on a closed toilet." }] };

test("CHAIRi and CHAIRs with COCO ground truth (instances and human captions)", () => {
  const truth = cocoImageObjects(vocabulary, instances, humanCaptions, "coco");
  const answers = linesOf("answers.jsonl", [
    { question_id: 1, text: "A man and a woman sit next to a dog." },
    { question_id: 2, text: "Two kittens on a toilet seat." },
    { question_id: 3, text: "A baby bird drinks from wine glasses." },
  ]);
  const r = scoreChair(vocabulary, truth, questions, answers);
  // Image 1: person, dog (instances) -> man, woman, dog all there.
  // Image 2: cat (instances) + toilet (from the human caption) -> kitten, toilet there.
  // Image 3: bird -> the wine glass is hallucinated.
  assert.deepEqual(r.items.map((i) => i.hallucinated.map((m) => m.object)), [[], [], ["wine glass"]]);
  assert.equal(r.mentions, 7);
  assert.equal(r.hallucinatedMentions, 1);
  assert.equal(r.chairI, 1 / 7);
  assert.equal(r.chairS, 1 / 3);
  assert.equal(r.items[2].chairI, 1 / 2);
  assert.equal(r.imagesWithoutObjects, 0);
});

test("ground truth from an objects file, by image name; unlisted images have no objects", () => {
  const truth = listedImageObjects(vocabulary, linesOf("objects.jsonl", [{ image: "COCO_val2014_000000000001.jpg", objects: ["puppy"] }]));
  const answers = linesOf("answers.jsonl", [{ question_id: 1, text: "A dog." }, { question_id: 3, text: "A bird." }]);
  const r = scoreChair(vocabulary, truth, questions, answers);
  assert.deepEqual(r.items.map((i) => i.hallucinated.length), [0, 1]);
  assert.equal(r.imagesWithoutObjects, 1);
  assert.throws(
    () => listedImageObjects(vocabulary, linesOf("objects.jsonl", [{ image: "x.png", objects: ["unicorn"] }])),
    (e: unknown) => e instanceof DatasetError && e.message === 'objects.jsonl:1: "unicorn" is not a word of the synonyms file',
  );
});

test("a COCO category missing from the synonyms is an error naming it", () => {
  const withCar = { ...instances, annotations: [{ image_id: 1, category_id: 3 }], categories: [{ id: 3, name: "car" }] };
  assert.throws(() => cocoImageObjects(vocabulary, withCar, null, "instances.json"), /category 3 \("car"\) of image 1 is not a word of the synonyms file/);
});
