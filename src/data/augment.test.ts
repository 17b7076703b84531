import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OPENAI_CLIP_MEAN, OPENAI_CLIP_STD } from "../image/config.js";
import { Resampling, resizePIL } from "../image/resample.js";
import type { DecodedImage, SourceImage } from "../image/types.js";
import { Generator } from "../tensor/random.js";
import { gaussianBlur, randomBlur, randomResizedCrop, randomResizedCropBox } from "./augment.js";
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

describe("gaussianBlur and randomBlur", () => {
  /** The 2-D convolution written directly (not separably), with mirrored borders. */
  function blurDirect(img: DecodedImage, sigma: number): number[] {
    const r = Math.ceil(3 * sigma);
    const g = (k: number) => Math.exp(-(k * k) / (2 * sigma * sigma));
    let norm = 0;
    for (let k = -r; k <= r; k++) norm += g(k);
    const reflect = (i: number, n: number) => (i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i);
    const out: number[] = [];
    for (let y = 0; y < img.height; y++) {
      for (let x = 0; x < img.width; x++) {
        for (let c = 0; c < 3; c++) {
          let acc = 0;
          for (let dy = -r; dy <= r; dy++) {
            for (let dx = -r; dx <= r; dx++) {
              acc += g(dy) * g(dx) * img.data[(reflect(y + dy, img.height) * img.width + reflect(x + dx, img.width)) * 3 + c];
            }
          }
          out.push(acc / (norm * norm));
        }
      }
    }
    return out;
  }

  it("is the 2-D Gaussian convolution with mirrored borders, to within rounding", () => {
    const img = gradient(13, 9) as DecodedImage;
    for (const sigma of [0.4, 1.0, 2.0]) {
      const got = gaussianBlur(img, sigma).data;
      const want = blurDirect(img, sigma);
      for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i] - want[i]) <= 0.5 + 1e-3, `sigma ${sigma} at ${i}: ${got[i]} vs ${want[i]}`);
    }
  });

  it("keeps a flat image flat and spreads a point symmetrically", () => {
    const flat: DecodedImage = { width: 7, height: 5, channels: 3, data: new Uint8Array(105).fill(90) };
    assert.deepEqual(gaussianBlur(flat, 1.5).data, flat.data);
    const point: DecodedImage = { width: 9, height: 9, channels: 3, data: new Uint8Array(243) };
    point.data.fill(255, (4 * 9 + 4) * 3, (4 * 9 + 4) * 3 + 3);
    const out = gaussianBlur(point, 1).data;
    const at = (x: number, y: number) => out[(y * 9 + x) * 3];
    assert.ok(at(4, 4) < 255 && at(4, 4) > at(5, 4) && at(5, 4) > at(6, 4));
    assert.equal(at(3, 4), at(5, 4));
    assert.equal(at(4, 3), at(4, 5));
    assert.throws(() => gaussianBlur(point, 0), /sigma must be positive/);
  });

  it("blurs with the given probability, reproducibly per seed", () => {
    const img = gradient(16, 16) as DecodedImage;
    assert.equal(randomBlur(img, { probability: 0, sigma: [0.1, 2] }, new Generator(1)), img);
    let blurred = 0;
    for (let seed = 0; seed < 200; seed++) {
      const out = randomBlur(img, { probability: 0.3, sigma: [0.5, 2] }, new Generator(seed));
      if (out !== img) blurred++;
      assert.deepEqual(randomBlur(img, { probability: 0.3, sigma: [0.5, 2] }, new Generator(seed)).data, out.data);
    }
    assert.ok(blurred > 40 && blurred < 80, `blurred ${blurred} of 200 at p = 0.3`);
    assert.throws(() => randomBlur(img, { probability: 1.5, sigma: [0.1, 2] }, new Generator(0)), /probability/);
    assert.throws(() => randomBlur(img, { probability: 1, sigma: [2, 1] }, new Generator(0)), /sigma/);
  });

  it("runs after the crop in the named training transform", async () => {
    const img = gradient(32, 32);
    const plain = await createTransform({ name: "random-resized-crop", size: 16, scale: [1, 1], ratio: [1, 1] })(img, new Generator(5));
    const blurred = await createTransform({ name: "random-resized-crop", size: 16, scale: [1, 1], ratio: [1, 1], blur: { probability: 1, sigma: [1, 1] } })(img, new Generator(5));
    assert.notDeepEqual(blurred.data, plain.data);
  });
});
