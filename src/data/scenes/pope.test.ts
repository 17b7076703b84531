import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Generator } from "../../tensor/random.js";
import { chairAnnotation, chairSynonyms, synonymsText } from "./eval-files.js";
import { POPE_SAMPLINGS, popeNegatives, popeQuestions } from "./pope.js";
import type { Scene, SceneItem } from "./scene.js";
import { objectStats } from "./stats.js";
import { loadVocabulary } from "./vocabulary.js";

const vocab = loadVocabulary();

function scene(id: string, names: string[]): Scene {
  const items = names.map((name, k): SceneItem => ({ kind: "object", name, color: null, rgb: null, box: [k * 40, 0, k * 40 + 30, 30], rotation: 0 }));
  return { id, split: "test", image: `test/${id}.png`, style: "twitter", background: { kind: "plain", colors: ["#ffffff"] }, items };
}

// Training data where dog goes with ball, cat is the most frequent object and car the next.
const training = [
  ...Array.from({ length: 30 }, (_, i) => scene(`a${i}`, ["dog", "ball"])),
  ...Array.from({ length: 5 }, (_, i) => scene(`b${i}`, ["dog", "cat"])),
  ...Array.from({ length: 40 }, (_, i) => scene(`c${i}`, ["cat", "car"])),
  scene("d", ["pizza", "banana"]),
];
const stats = objectStats(training);

describe("POPE", () => {
  it("draws negatives at random, by training frequency, and by co-occurrence with the present objects", () => {
    const absent = ["ball", "cat", "car", "pizza", "banana", "key"];
    assert.deepEqual(popeNegatives(new Generator(0), "popular", ["dog"], absent, stats, 2), ["cat", "car"]);
    assert.deepEqual(popeNegatives(new Generator(0), "adversarial", ["dog"], absent, stats, 2), ["ball", "cat"]);
    assert.deepEqual(popeNegatives(new Generator(0), "adversarial", ["car"], absent, stats, 1), ["cat"]);
    const random = new Set(Array.from({ length: 30 }, (_, i) => popeNegatives(new Generator(i), "random", ["dog"], absent, stats, 1)[0]));
    assert.ok(random.size >= 5, [...random].join());
  });

  it("asks as many absent objects as present ones per image (at most 3), in POPE's format", () => {
    for (const sampling of POPE_SAMPLINGS) {
      for (const names of [["dog"], ["dog", "dog", "tree"], ["dog", "ball", "cake", "cup", "boat"]]) {
        const s = scene("x", names);
        const questions = popeQuestions(new Generator(1), s, vocab, stats, sampling);
        const present = new Set(names);
        const k = Math.min(3, present.size);
        assert.equal(questions.length, 2 * k);
        for (const q of questions) {
          assert.deepEqual(Object.keys(q), ["question_id", "image", "text", "label"]);
          const name = /^Is there an? (\w+) in the image\?$/.exec(q.text)![1];
          assert.equal(q.label, present.has(name) ? "yes" : "no", q.text);
        }
        assert.equal(questions.filter((q) => q.label === "yes").length, k);
        assert.equal(new Set(questions.map((q) => q.question_id)).size, questions.length);
      }
    }
    assert.deepEqual(popeQuestions(new Generator(1), { ...scene("y", []), items: [] }, vocab, stats, "random"), []);
  });

  it("annotates objects and shapes for CHAIR, with the synonyms the vocabulary implies, in CHAIR's file shape", () => {
    const withShape: Scene = { ...scene("z", ["dog", "ball", "dog"]) };
    withShape.items.push({ kind: "shape", name: "star", color: "red", rgb: [220, 40, 40], box: [200, 0, 230, 30], rotation: 10 });
    assert.deepEqual(chairAnnotation(withShape), { image: "test/z.png", objects: ["ball", "dog", "star"] });
    const groups = new Map(chairSynonyms(vocab).map((words) => [words[0], words]));
    assert.equal(groups.size, 28);
    assert.deepEqual(groups.get("apple"), ["apple", "apples", "red apple", "red apples"]);
    assert.deepEqual(groups.get("car"), ["car", "cars", "automobile", "automobiles"]);
    assert.deepEqual(groups.get("fish"), ["fish"]);
    assert.deepEqual(groups.get("snowman"), ["snowman", "snowmen", "snowman without snow"]);
    assert.deepEqual(groups.get("star"), ["star", "stars"]);
    assert.equal(synonymsText([["cat", "cats"], ["fish"]]), "cat, cats\nfish\n");
  });
});
