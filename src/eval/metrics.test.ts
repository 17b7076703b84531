import assert from "node:assert/strict";
import { test } from "node:test";
import { Generator, Tensor, noGrad, randn } from "../tensor/index.js";
import { l2Normalize } from "../models/clip/model.js";
import { classificationMetrics } from "./classification.js";
import { retrievalMetrics, summariseRanks } from "./retrieval.js";
import { formatTable, percent } from "./table.js";

const rows = (values: number[][]) => new Tensor(Float32Array.from(values.flat()), [values.length, values[0].length]);

test("retrieval ranks on a hand-checked case", () => {
  // Images are the unit axes; caption j is close to image captionImage[j] except caption 2.
  const images = rows([[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
  const texts = rows([[0.9, 0.1, 0], [0.1, 0.9, 0], [0.8, 0, 0.2], [0, 0, 1]]);
  const r = retrievalMetrics(images, texts, [0, 1, 2, 2]);
  // text->image ranks: caption 0 -> 1, caption 1 -> 1, caption 2 -> 2 (image 0 scores 0.8 > 0.2), caption 3 -> 1
  assert.deepEqual(r.textToImage.recall, { 1: 0.75, 5: 1, 10: 1 });
  assert.equal(r.textToImage.meanRank, 1.25);
  assert.equal(r.textToImage.medianRank, 1);
  // image->text: image 0's best caption is 0 (0.9) but caption 2 scores 0.8 < 0.9 -> rank 1;
  // image 2's captions are 2 (0.2) and 3 (1.0) -> rank 1.
  assert.deepEqual(r.imageToText.recall, { 1: 1, 5: 1, 10: 1 });
});

test("retrieval in chunks equals the unchunked answer on random data", () => {
  const g = new Generator(3);
  const images = noGrad(() => l2Normalize(randn([300, 16], { generator: g })));
  const texts = noGrad(() => l2Normalize(randn([600, 16], { generator: g })));
  const links = Int32Array.from({ length: 600 }, (_, j) => j % 300);
  const r = retrievalMetrics(images, texts, links, [1, 10, 300]);
  assert.equal(r.textToImage.recall[300], 1, "every caption's image is within all 300");
  assert.ok(r.textToImage.recall[1] < 0.05, "random embeddings retrieve at chance");
  assert.ok(Math.abs(r.textToImage.meanRank - 150) < 30, `mean rank of random data near the middle: ${r.textToImage.meanRank}`);
});

test("median of an even count, and bad links are errors", () => {
  assert.equal(summariseRanks(Int32Array.from([1, 2, 3, 10])).medianRank, 2.5);
  assert.throws(() => retrievalMetrics(rows([[1, 0]]), rows([[1, 0]]), [3]), /outside/);
});

test("classification top-1, top-5, per class and chance", () => {
  const classes = rows([[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
  const images = rows([[1, 0, 0], [0.9, 0.1, 0], [0, 0.2, 0.8], [0.7, 0.3, 0]]);
  const r = classificationMetrics(images, classes, [0, 0, 2, 1], ["a", "b", "c"]);
  assert.equal(r.top1, 0.75);
  assert.equal(r.top5, 1);
  assert.deepEqual(r.perClass.map((p) => p.top1), [1, 0, 1]);
  assert.equal(r.meanPerClassTop1, 2 / 3);
  assert.deepEqual(r.chance, { top1: 1 / 3, top5: 1 });
});

test("tables align and percentages read well", () => {
  const t = formatTable(["name", "top-1"], [["bare label", 0.5], ["ensemble", 0.625]]);
  assert.equal(t.split("\n")[2], "bare label  0.500");
  assert.equal(percent(0.4567), "45.7%");
});
