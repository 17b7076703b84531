import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Generator } from "../../tensor/random.js";
import { backgroundPixels, sampleBackground } from "./background.js";
import { pairKey } from "./compose.js";
import { MAX_OVERLAP } from "./layout.js";
import { boxArea, intersectionArea, type Scene } from "./scene.js";
import { chooseHeldOutPairs, planSplits, sampleScene, type SceneSplit, type SplitPlan } from "./splits.js";
import { cooccurReport, objectsIn, objectStats } from "./stats.js";
import { loadVocabulary } from "./vocabulary.js";

const vocab = loadVocabulary();
const heldOutPairs = chooseHeldOutPairs(vocab, 6, 0);

function plans(cooccur = 0.65, count = 3000, evalCount = 1500): Map<SceneSplit, SplitPlan> {
  const list = planSplits({ count, evalCount, cooccur, heldOutPairs, trainingStyles: ["a", "b"], heldOutStyle: "twitter" });
  return new Map(list.map((p) => [p.split, p]));
}

function scenes(plan: SplitPlan, seed = 0): Scene[] {
  return Array.from({ length: plan.count }, (_, i) => sampleScene(vocab, plan, i, seed).scene);
}

describe("scene sampling", () => {
  const biased = plans();
  const train = scenes(biased.get("train")!);

  it("puts a cooccur object's partner in about 3 of 4 training scenes, and pairs at chance without bias", () => {
    const report = cooccurReport(objectStats(train), vocab);
    assert.ok(report.mean > 0.7 && report.mean < 0.82, `cooccur partner rate ${report.mean}`);
    for (const [pair, rate] of Object.entries(report.pairs)) assert.ok(rate > 0.6, `${pair}: ${rate}`);
    assert.ok(report.otherPairsMean < 0.15, `other pairs ${report.otherPairsMean}`);

    const unbiased = cooccurReport(objectStats(scenes(plans(0).get("train")!)), vocab);
    // Without the bias, a cooccur pair is no more likely together than any other pair.
    assert.ok(Math.abs(unbiased.mean - unbiased.otherPairsMean) < 0.04, JSON.stringify(unbiased));
    const pope = cooccurReport(objectStats(scenes(biased.get("test-pope")!)), vocab);
    assert.ok(Math.abs(pope.mean - pope.otherPairsMean) < 0.04, `test-pope: ${JSON.stringify(pope)}`);
  });

  it("never puts a held-out pair in a training scene, and one in every combinations scene", () => {
    const held = new Set(heldOutPairs.map(([a, b]) => pairKey(a, b)));
    assert.equal(held.size, 6);
    for (const [a, b] of heldOutPairs) assert.ok(!vocab.cooccur.some(([x, y]) => pairKey(x, y) === pairKey(a, b)), `${a}+${b} is a cooccur pair`);
    const has = (scene: Scene, [a, b]: readonly [string, string]): boolean => objectsIn(scene).includes(a) && objectsIn(scene).includes(b);
    for (const split of ["train", "val", "test-style", "test-pope"] as const) {
      const list = split === "train" ? train : scenes(biased.get(split)!);
      for (const scene of list) for (const pair of heldOutPairs) assert.ok(!has(scene, pair), `${scene.id} holds ${pair.join("+")}`);
    }
    scenes(biased.get("test-combos")!).forEach((scene, i) => {
      const holding = heldOutPairs.filter((pair) => has(scene, pair));
      assert.deepEqual(holding, [heldOutPairs[i % heldOutPairs.length]], scene.id);
    });
  });

  it("keeps items inside the image, countable (bounded overlap), 1 to 6 per scene, with repeats", () => {
    const counts = new Set<number>();
    let repeats = 0;
    for (const scene of train) {
      counts.add(scene.items.length);
      for (const [k, item] of scene.items.entries()) {
        const [x0, y0, x1, y1] = item.box;
        assert.ok(x0 >= 0 && y0 >= 0 && x1 <= 256 && y1 <= 256 && x1 > x0 && y1 > y0, `${scene.id}: box ${item.box}`);
        assert.equal(item.color === null, item.kind === "object");
        for (const other of scene.items.slice(k + 1)) {
          const limit = MAX_OVERLAP * Math.min(boxArea(item.box), boxArea(other.box));
          assert.ok(intersectionArea(item.box, other.box) <= limit, `${scene.id}: ${item.name} and ${other.name} overlap`);
        }
      }
      const names = scene.items.map((i) => `${i.name}|${i.color}`);
      if (new Set(names).size < names.length) repeats++;
    }
    assert.deepEqual([...counts].sort(), [1, 2, 3, 4, 5, 6]);
    assert.ok(repeats > train.length * 0.2, `${repeats} scenes with a repeated item`);
  });

  it("draws the same scene for the same (seed, split, index), whatever else is built", () => {
    const plan = biased.get("val")!;
    const small = planSplits({ count: 5, evalCount: 5, cooccur: 0.65, heldOutPairs, trainingStyles: ["a", "b"], heldOutStyle: "twitter" })[1];
    assert.deepEqual(sampleScene(vocab, small, 3, 7), sampleScene(vocab, plan, 3, 7));
    assert.notDeepEqual(sampleScene(vocab, plan, 3, 7).scene.items, sampleScene(vocab, plan, 3, 8).scene.items);
    for (const scene of scenes(biased.get("test-style")!).slice(0, 50)) assert.equal(scene.style, "twitter");
    assert.ok(train.every((s) => s.style !== "twitter"));
  });

  it("draws plain, gradient and textured backgrounds, light enough for every shape colour", () => {
    const g = new Generator(5);
    const kinds = new Set<string>();
    for (let i = 0; i < 60; i++) {
      const bg = sampleBackground(g);
      kinds.add(bg.kind === "texture" ? bg.pattern : bg.kind);
      const pixels = backgroundPixels(bg, 64);
      let sum = 0;
      for (const v of pixels) sum += v;
      assert.ok(sum / pixels.length > 170, `${JSON.stringify(bg)} mean ${sum / pixels.length}`);
    }
    assert.deepEqual([...kinds].sort(), ["checks", "dots", "gradient", "noise", "plain", "stripes"]);
  });
});
