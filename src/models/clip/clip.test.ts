import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { loadSafetensors } from "../../io/index.js";
import { Tensor, noGrad } from "../../tensor/index.js";
import { assertClose } from "../../../test/support/assert.js";
import { forEachBackend } from "../../../test/support/backends.js";
import { referencePath, skipWithoutReference } from "../../../test/support/reference.js";
import { CLIPModel } from "./model.js";

const skip = skipWithoutReference("clip", "tiny");

/** Parity with the original OpenAI CLIP code (PyTorch, float32): 1e-4 absolute. */
const TOL = { atol: 1e-4, rtol: 0 };

function checkParity(load: () => Promise<CLIPModel>): void {
  test("image and text embeddings, logits and every vision layer match the reference", async () => {
    const model = await load();
    const expected = loadSafetensors(referencePath("clip", "tiny", "expected.safetensors"));
    const pixels = loadSafetensors(referencePath("clip", "tiny", "pixels.safetensors")).get("pixel_values")!;
    const ids = expected.get("input_ids")!;
    noGrad(() => {
      const hidden: Tensor[] = [];
      const imageEmbeds = model.encodeImage(pixels, { hiddenStates: hidden });
      const textEmbeds = model.encodeText(ids);
      assertClose(imageEmbeds, expected.get("image_embeds")!, TOL);
      assertClose(textEmbeds, expected.get("text_embeds")!, TOL);
      // hidden[0] is the encoder input; the fixture's vision_hidden_i is after block i.
      for (let i = 0; i + 1 < hidden.length; i++) assertClose(hidden[i + 1], expected.get(`vision_hidden_${i}`)!, TOL);
      const out = model.forward({ pixelValues: pixels, inputIds: ids });
      assertClose(out.logitsPerImage, expected.get("logits_per_image")!, TOL);
      assert.deepEqual(out.logitsPerText.shape, [5, 4]);
    });
  });
}

describe("CLIP parity with the OpenAI reference", { skip }, () => {
  forEachBackend("Hugging Face folder", () => {
    checkParity(() => CLIPModel.fromPretrained(referencePath("clip", "tiny", "hf")));
  });
  forEachBackend("OpenAI fp16 safetensors file", () => {
    checkParity(() => CLIPModel.fromPretrained(referencePath("clip", "tiny", "openai-fp16.safetensors")));
  });
  test("the OpenAI file's inferred architecture equals the HF config", async () => {
    const a = (await CLIPModel.fromPretrained(referencePath("clip", "tiny", "openai-fp16.safetensors"))).config;
    const b = (await CLIPModel.fromPretrained(referencePath("clip", "tiny", "hf"))).config;
    assert.deepEqual(a.vision_config, b.vision_config);
    assert.deepEqual({ ...a.text_config, pad_token_id: 0 }, { ...b.text_config, pad_token_id: 0 });
    assert.equal(a.projection_dim, b.projection_dim);
  });
});
