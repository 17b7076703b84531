import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OPENAI_CLIP_MEAN, OPENAI_CLIP_STD } from "../image/config.js";
import { Resampling, resizePIL } from "../image/resample.js";
import type { SourceImage } from "../image/types.js";
import { Generator } from "../tensor/random.js";
import { randomResizedCrop, randomResizedCropBox } from "./augment.js";
import { mixSeed } from "./seed.js";
import { createTransform } from "./transform.js";

function gradient(width: number, height: number): SourceImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set([i % 251, (i * 7) % 256, (i >> 3) % 256], i * 3);
  return { width, height, channels: 3, data, indexed: false };
}

describe("randomResizedCropBox", () => {
  it("draws boxes inside the image with area and aspect in range, reproducibly per seed", () => {
    for (let seed = 0; seed < 200; seed++) {
      const box = randomResizedCropBox(300, 200, new Generator(mixSeed(seed, 0, 7)), [0.5, 1], [3 / 4, 4 / 3]);
      assert.ok(box.x >= 0 && box.y >= 0 && box.x + box.width <= 300 && box.y + box.height <= 200, JSON.stringify(box));
      const area = (box.width * box.height) / (300 * 200);
      assert.ok(area > 0.48 && area <= 1.0, `area ${area}`);
      const aspect = box.width / box.height;
      assert.ok(aspect > 0.74 && aspect < 1.35, `aspect ${aspect}`);
      assert.deepEqual(randomResizedCropBox(300, 200, new Generator(mixSeed(seed, 0, 7)), [0.5, 1]), box);
    }
    const boxes = new Set(Array.from({ length: 20 }, (_, s) => JSON.stringify(randomResizedCropBox(300, 200, new Generator(s), [0.5, 1]))));
    assert.ok(boxes.size > 15, "different seeds, different boxes");
  });

  it("falls back to the largest centred box within the ratio when no draw fits", () => {
    assert.deepEqual(randomResizedCropBox(100, 1, new Generator(1)), { x: 49, y: 0, width: 1, height: 1 });
    assert.deepEqual(randomResizedCropBox(3, 90, new Generator(1)), { x: 0, y: 43, width: 3, height: 4 });
  });

  it("refuses scale and ratio ranges that are not ranges", () => {
    assert.throws(() => randomResizedCropBox(10, 10, new Generator(0), [0.9, 0.5]), /scale/);
    assert.throws(() => randomResizedCropBox(10, 10, new Generator(0), [0.5, 1], [2, 1]), /ratio/);
  });
});

describe("randomResizedCrop", () => {
  it("with the whole image as the box, is PIL's bicubic resize", () => {
    const img = gradient(40, 40);
    const out = randomResizedCrop(img, { size: 17, scale: [1, 1], ratio: [1, 1] }, new Generator(3));
    assert.deepEqual(out.data, resizePIL(img, 17, 17, Resampling.BICUBIC).data);
  });

  it("normalises with CLIP's mean and std in the named transform", async () => {
    const img: SourceImage = { width: 30, height: 20, channels: 3, data: new Uint8Array(30 * 20 * 3).fill(200), indexed: false };
    const t = await createTransform({ name: "random-resized-crop", size: 12 })(img, new Generator(0));
    assert.deepEqual(t.shape, [1, 3, 12, 12]);
    for (let c = 0; c < 3; c++) {
      const expected = (200 / 255 - OPENAI_CLIP_MEAN[c]) / OPENAI_CLIP_STD[c];
      assert.ok(Math.abs((t.data[c * 144 + 77] as number) - expected) < 1e-5);
    }
    assert.throws(() => createTransform({ name: "flip" } as never), /unknown transform "flip"/);
  });
});
