import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { packageRoot } from "../../package-root.js";
import { defaultVocabularyPath, loadVocabulary, parseVocabulary } from "./vocabulary.js";

const shared = join(packageRoot(), "..", "shared", "scenes", "vocabulary.json");

describe("scene vocabulary", () => {
  it("ships the team's spec unchanged", { skip: existsSync(shared) ? false : `${shared} not found (the team's shared folder); the shipped copy is used as is` }, () => {
    assert.equal(readFileSync(defaultVocabularyPath(), "utf8"), readFileSync(shared, "utf8"));
  });

  it("loads with 24 objects, 4 shapes, 7 colours and the LLaVA-1.5 suffix", () => {
    const vocab = loadVocabulary();
    assert.equal(vocab.objects.length, 24);
    assert.deepEqual(vocab.shapes.map((s) => s.name), ["circle", "square", "triangle", "star"]);
    assert.equal(Object.keys(vocab.colors).length, 7);
    assert.deepEqual(vocab.items_per_scene, [1, 6]);
    assert.equal(vocab.answer_suffix, "Answer the question using a single word or phrase.");
  });

  it("names what is wrong in a bad vocabulary", () => {
    const good = JSON.parse(readFileSync(defaultVocabularyPath(), "utf8"));
    assert.throws(() => parseVocabulary({ ...good, cooccur: [["dog", "unicorn"]] }, "v.json"), /v\.json: cooccur: "unicorn" is not an object/);
    assert.throws(() => parseVocabulary({ ...good, colors: { red: [300, 0, 0] } }, "v.json"), /v\.json: colors\.red\.0/);
    assert.throws(() => parseVocabulary({ ...good, image_size: [256, 128] }, "v.json"), /scenes are square/);
    assert.throws(() => parseVocabulary({ ...good, items_per_scene: [4, 2] }, "v.json"), /items_per_scene: 4 > 2/);
    assert.throws(() => loadVocabulary("/nonexistent/v.json"), /\/nonexistent\/v\.json: cannot read/);
  });
});
