import assert from "node:assert/strict";
import { test } from "node:test";
import { CLIPModel } from "../../models/clip/model.js";
import { Generator, Tensor, randn } from "../../tensor/index.js";
import { resolveModelConfig } from "./presets.js";
import { initClipWeights } from "./setup.js";
import { deepenClip } from "./deepen.js";

function trainedLooking(): CLIPModel {
  const model = new CLIPModel(resolveModelConfig("tiny"));
  initClipWeights(model, new Generator(1));
  // Non-zero biases everywhere, as after training, so a copy that missed one would show.
  for (const [name, p] of model.namedParameters()) {
    if (name.endsWith(".bias")) p.f32("test").forEach((_, i, a) => (a[i] = 0.01 * ((i % 7) - 3)));
    p.markChanged();
  }
  model.eval();
  return model;
}

test("appended layers start as the identity: image and text embeddings are unchanged", () => {
  const model = trainedLooking();
  const grown = deepenClip(model, { visionLayers: 2, textLayers: 1, seed: 3 });
  grown.eval();
  assert.equal(grown.config.vision_config.num_hidden_layers, model.config.vision_config.num_hidden_layers + 2);
  assert.equal(grown.config.text_config.num_hidden_layers, model.config.text_config.num_hidden_layers + 1);
  const size = model.config.vision_config.image_size;
  const pixels = randn([2, 3, size, size], { generator: new Generator(5) });
  const ids = new Tensor(Int32Array.from([49406, 320, 1929, 49407, 49406, 539, 49407, 49407]), [2, 4]);
  const close = (a: Tensor, b: Tensor) => (a.f32() as Float32Array).every((v, i) => Math.abs(v - (b.f32() as Float32Array)[i]) < 1e-6);
  assert.ok(close(grown.encodeImage(pixels), model.encodeImage(pixels)), "image embeddings");
  assert.ok(close(grown.encodeText(ids), model.encodeText(ids)), "text embeddings");
  // ...but the new layers are not dead weight: their inner weights are initialised.
  const q = grown.stateDict().get(`vision_model.encoder.layers.${model.config.vision_config.num_hidden_layers}.self_attn.q_proj.weight`)!;
  assert.ok((q.f32() as Float32Array).some((v) => v !== 0));
});

test("adding no layers is a named error", () => {
  assert.throws(() => deepenClip(trainedLooking(), {}), { name: "ArgumentError", message: /not both 0/ });
});
