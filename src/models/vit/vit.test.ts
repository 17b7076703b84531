import assert from "node:assert/strict";
import { test } from "node:test";
import { ShapeError } from "../../errors.js";
import { type Tensor, conv2d, flatten, manualSeed, mul, noGrad, randn, sum, transpose } from "../../tensor/index.js";
import { assertClose } from "../../../test/support/assert.js";
import { forEachBackend } from "../../../test/support/backends.js";
import { parseViTConfig } from "./config.js";
import { ViTForImageClassification, VisionTransformer } from "./model.js";

const config = parseViTConfig({
  image_size: 32, patch_size: 8, hidden_size: 32, intermediate_size: 64, num_attention_heads: 4, num_hidden_layers: 2, num_labels: 3,
});

test("state dict keys follow the HF CLIP vision layout", () => {
  const keys = [...new VisionTransformer(config).stateDict().keys()];
  for (const k of [
    "embeddings.class_embedding", "embeddings.patch_embedding.weight", "embeddings.position_embedding.weight",
    "pre_layrnorm.weight", "encoder.layers.1.self_attn.q_proj.weight", "encoder.layers.0.mlp.fc2.bias", "post_layernorm.bias",
  ]) assert.ok(keys.includes(k), `missing ${k}`);
  assert.ok(!keys.includes("embeddings.patch_embedding.bias"), "the patch embedding has no bias");
});

test("shapes: tokens, hidden states and the classification head", () => {
  manualSeed(0);
  const model = new ViTForImageClassification(config).eval();
  const pixels = randn([2, 3, 32, 32]);
  const hidden: Tensor[] = [];
  const out = noGrad(() => model.vision_model.forward(pixels, { hiddenStates: hidden }));
  assert.deepEqual(out.lastHiddenState.shape, [2, 17, 32]); // 16 patches + CLS
  assert.deepEqual(out.pooled.shape, [2, 32]);
  assert.equal(hidden.length, 3, "embeddings + one per layer");
  assert.deepEqual(noGrad(() => model.forward(pixels)).shape, [2, 3]);
});

test("position-embedding interpolation: identity at the trained size, other grids work", () => {
  manualSeed(1);
  const model = new VisionTransformer(config).eval();
  const pixels = randn([1, 3, 32, 32]);
  const plain = noGrad(() => model.forward(pixels).lastHiddenState);
  const interpolated = noGrad(() => model.forward(pixels, { interpolatePosEncoding: true }).lastHiddenState);
  assertClose(interpolated, plain, { atol: 1e-6, rtol: 0 });
  const larger = noGrad(() => model.forward(randn([1, 3, 48, 64]), { interpolatePosEncoding: true }).lastHiddenState);
  assert.deepEqual(larger.shape, [1, 1 + 6 * 8, 32]);
  assert.throws(() => noGrad(() => model.forward(randn([1, 3, 48, 64]))), ShapeError);
});

forEachBackend("patch embedding", () => {
  test("equals the strided conv it replaces, values and weight gradient, also with pixels past the last patch", () => {
    manualSeed(2);
    const embeddings = new VisionTransformer(config).embeddings;
    const weight = embeddings.patch_embedding.weight;
    for (const [h, w] of [[32, 32], [35, 29]]) {
      const pixels = randn([2, 3, h, w]);
      const upstream = randn([2, Math.floor(h / 8) * Math.floor(w / 8), 32]);
      const gradient = (tokens: () => Tensor) => {
        weight.grad = null;
        const out = tokens();
        sum(mul(out, upstream)).backward();
        return { out, grad: weight.grad! };
      };
      const fast = gradient(() => embeddings["embedPatches"](pixels, Math.floor(h / 8), Math.floor(w / 8)));
      const conv = gradient(() => transpose(flatten(conv2d(pixels, weight, null, { stride: 8 }), 2), 1, 2));
      assertClose(fast.out, conv.out, { atol: 1e-5, rtol: 1e-5 });
      assertClose(fast.grad, conv.grad, { atol: 1e-4, rtol: 1e-5 });
    }
  });
});
