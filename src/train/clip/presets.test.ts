import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ArgumentError, FileFormatError, NotFoundError } from "../../errors.js";
import { CLIPModel } from "../../models/clip/model.js";
import { INIT_LOGIT_SCALE } from "../../models/clip/loss.js";
import { clipPresetNames, resolveModelConfig } from "./presets.js";

test("the presets in configs/clip build the models the table in presets.ts describes", () => {
  assert.deepEqual(clipPresetNames(), ["icons-tiny", "small", "tiny"]);
  const described = { tiny: [32, 8, 32, 1, 16, 1.6e6], "icons-tiny": [64, 8, 192, 4, 32, 13e6], small: [128, 16, 384, 6, 32, 27e6] };
  for (const [name, [image, patch, width, layers, context, params]] of Object.entries(described)) {
    const config = resolveModelConfig(name);
    const v = config.vision_config;
    assert.deepEqual([v.image_size, v.patch_size, v.hidden_size, v.num_hidden_layers, config.text_config.max_position_embeddings], [image, patch, width, layers, context], name);
    assert.equal(config.logit_scale_init_value, INIT_LOGIT_SCALE, `${name}: CLIP's 1/0.07, exactly`);
    const n = new CLIPModel(config).numParameters();
    assert.ok(Math.abs(n - params) / params < 0.1, `${name}: ${n} parameters, about ${params} documented`);
  }
});

test("a config file, and named errors for what is neither a preset nor a readable .json", () => {
  const dir = mkdtempSync(join(tmpdir(), "vlm-presets-"));
  const file = join(dir, "mine.json");
  writeFileSync(file, JSON.stringify({ vision_config: { image_size: 48 }, text_config: {} }));
  assert.equal(resolveModelConfig(file).vision_config.image_size, 48);
  assert.throws(() => resolveModelConfig("huge"), (e) => e instanceof ArgumentError && /unknown model config "huge": use a preset \(icons-tiny, small, tiny\)/.test(e.message));
  assert.throws(() => resolveModelConfig(join(dir, "absent.json")), NotFoundError);
  writeFileSync(join(dir, "bad.json"), "{ not json");
  assert.throws(() => resolveModelConfig(join(dir, "bad.json")), FileFormatError);
});
