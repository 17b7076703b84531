import assert from "node:assert/strict";
import { test } from "node:test";
import { ShapeError } from "../../errors.js";
import { manualSeed, noGrad, randn } from "../../tensor/index.js";
import { assertClose } from "../../../test/support/assert.js";
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
  const hidden: import("../../tensor/index.js").Tensor[] = [];
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
