import assert from "node:assert/strict";
import { test } from "node:test";
import { CLIPModel } from "../../models/clip/model.js";
import { Generator, Tensor, noGrad, randn } from "../../tensor/index.js";
import { resolveModelConfig } from "./presets.js";
import { initClipWeights } from "./setup.js";
import { rescalePatches } from "./rescale-patches.js";

/** The k x k box average of [B, C, H, W] pixels. */
function boxDown(pixels: Tensor, k: number): Tensor {
  const [b, c, h, w] = pixels.shape;
  const src = pixels.f32();
  const out = new Float32Array(b * c * (h / k) * (w / k));
  for (let plane = 0; plane < b * c; plane++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) out[plane * (h / k) * (w / k) + Math.floor(y / k) * (w / k) + Math.floor(x / k)] += src[plane * h * w + y * w + x] / (k * k);
    }
  }
  return new Tensor(out, [b, c, h / k, w / k]);
}

test("the rescaled tower on an image equals the original on its box average, token for token", () => {
  const model = new CLIPModel(resolveModelConfig("tiny"));
  initClipWeights(model, new Generator(2));
  model.eval();
  const finer = rescalePatches(model, 2).eval();
  const v = model.config.vision_config;
  assert.equal(finer.config.vision_config.image_size, 2 * v.image_size);
  assert.equal(finer.config.vision_config.patch_size, 2 * v.patch_size);
  const pixels = randn([2, 3, 2 * v.image_size, 2 * v.image_size], { generator: new Generator(7) });
  const [a, b] = noGrad(() => [finer.encodeImage(pixels).f32(), model.encodeImage(boxDown(pixels, 2)).f32()]);
  const worst = a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);
  assert.ok(worst < 1e-4, `max difference ${worst}`);
  // The text tower is untouched.
  const ids = new Tensor(Int32Array.from([49406, 320, 49407, 49407]), [1, 4]);
  assert.deepEqual([...noGrad(() => finer.encodeText(ids)).f32()], [...noGrad(() => model.encodeText(ids)).f32()]);
});

test("a factor below 2 or not whole is a named error", () => {
  const model = new CLIPModel(resolveModelConfig("tiny"));
  for (const k of [1, 1.5]) assert.throws(() => rescalePatches(model, k), { name: "ArgumentError" });
});
