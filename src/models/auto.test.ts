/**
 * The registry: every loadable model is found by its config.json model_type, loads the same
 * through AutoModel and through its own fromPretrained, and refuses a folder of another type.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { ConfigError } from "../errors.js";
import { type ModelSource, openModelSource, saveSafetensors } from "../io/index.js";
import { Linear, type Module } from "../nn/index.js";
import { manualSeed } from "../tensor/index.js";
import { referencePath, skipWithoutReference } from "../../test/support/reference.js";
import { AutoModel, modelClassFor, registerModel } from "./auto.js";
import { parseCLIPConfig } from "./clip/config.js";
import { CLIPModel } from "./clip/model.js";
import { parseLlamaConfig } from "./llama/config.js";
import { LlamaForCausalLM } from "./llama/model.js";
import { parseLlavaConfig } from "./llava/config.js";
import { LlavaForConditionalGeneration } from "./llava/model.js";
import type { PretrainedModelClass } from "./pretrained.js";
import { parseViTConfig } from "./vit/config.js";
import { CLIPVisionModel } from "./vit/model.js";

const dir = mkdtempSync(join(tmpdir(), "vlm-auto-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const VISION = { hidden_size: 16, intermediate_size: 32, num_attention_heads: 2, num_hidden_layers: 2, image_size: 32, patch_size: 16 };
const TEXT = { vocab_size: 40, hidden_size: 24, intermediate_size: 32, num_hidden_layers: 1, num_attention_heads: 2, max_position_embeddings: 32 };

/** A random model of each registered kind, with the config.json that describes it. */
const MODELS: Array<{ name: string; config: Record<string, unknown>; make: (config: Record<string, unknown>) => Module; cls: PretrainedModelClass }> = [
  {
    name: "clip",
    config: { model_type: "clip", projection_dim: 8, vision_config: VISION, text_config: { ...TEXT, max_position_embeddings: 8 } },
    make: (c) => new CLIPModel(parseCLIPConfig(c)),
    cls: CLIPModel,
  },
  { name: "clip_vision_model", config: { model_type: "clip_vision_model", ...VISION }, make: (c) => new CLIPVisionModel(parseViTConfig(c)), cls: CLIPVisionModel },
  ...["llama", "mistral", "qwen2"].map((type) => ({
    name: type,
    config: { model_type: type, ...TEXT },
    make: (c: Record<string, unknown>) => new LlamaForCausalLM(parseLlamaConfig(c)),
    cls: LlamaForCausalLM as PretrainedModelClass,
  })),
  {
    name: "llava",
    config: { model_type: "llava", image_token_index: 30, vision_config: VISION, text_config: TEXT },
    make: (c) => new LlavaForConditionalGeneration(parseLlavaConfig(c)),
    cls: LlavaForConditionalGeneration,
  },
];

function writeFolder(name: string, config: Record<string, unknown>, model: Module): string {
  const folder = join(dir, name);
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, "config.json"), JSON.stringify(config));
  saveSafetensors(join(folder, "model.safetensors"), model.stateDict());
  return folder;
}

function assertSameWeights(loaded: Module, original: Module): void {
  const want = original.stateDict();
  const got = loaded.stateDict();
  assert.deepEqual([...got.keys()], [...want.keys()]);
  for (const [key, t] of want) assert.deepEqual(got.get(key)!.f32(), t.f32(), key);
}

describe("the model registry", () => {
  for (const { name, config, make, cls } of MODELS) {
    test(`${name}: AutoModel and ${cls.name}.fromPretrained load the folder, every weight in place`, async () => {
      manualSeed(3);
      const original = make(config);
      const folder = writeFolder(name, config, original);
      const auto = await AutoModel.fromPretrained(folder);
      assert.ok(auto instanceof (cls as unknown as new (...args: never[]) => Module), `AutoModel gave a ${auto.constructor.name}`);
      assertSameWeights(auto, original);
      assertSameWeights(await (cls as unknown as { fromPretrained(s: string): Promise<Module> }).fromPretrained(folder), original);
      assert.equal(auto.training, false, "loaded in eval mode");
    });
  }

  test("a model class given another model_type's folder is a ConfigError naming both", async () => {
    const folder = join(dir, "llama");
    await assert.rejects(CLIPModel.fromPretrained(folder), (e: Error) => e instanceof ConfigError && e.message.includes(join(folder, "config.json")) && /model_type "llama" is not a CLIPModel \(which loads clip\)/.test(e.message));
    await assert.rejects(LlavaForConditionalGeneration.fromPretrained(join(dir, "clip")), { name: "ConfigError", message: /model_type "clip" is not a LlavaForConditionalGeneration/ });
  });

  test("an unknown model_type is a ConfigError listing what is supported", async () => {
    const folder = writeFolder("unknown", { model_type: "bert" }, new Linear(2, 2));
    await assert.rejects(AutoModel.fromPretrained(folder), (e: Error) =>
      e instanceof ConfigError && /model_type "bert" is not supported \(supported: clip, clip_vision_model, llama, mistral, qwen2, llava\)/.test(e.message));
  });

  test("a single HF-layout weights file needs its config.json beside it", async () => {
    const file = join(dir, "alone", "model.safetensors");
    mkdirSync(join(dir, "alone"));
    saveSafetensors(file, new Linear(2, 2).stateDict());
    await assert.rejects(AutoModel.fromPretrained(file), (e: Error) => e instanceof ConfigError && e.message.startsWith(`${file}: `) && /no config\.json beside this weights file/.test(e.message));
    await assert.rejects(CLIPModel.fromPretrained(file), { name: "ConfigError", message: /a CLIPModel needs the model's config\.json beside its weights/ });
  });

  test("registerModel adds a model_type; one already taken is refused", async () => {
    class Toy extends Linear {
      static readonly modelTypes = ["toy_linear"];
      static fromSource(source: ModelSource): Toy {
        return source.checkpoint.consume((c) => {
          const toy = new Toy(2, 2);
          toy.loadStateDict(c.stateDictFor(toy.stateDict()));
          return toy;
        });
      }
    }
    registerModel(Toy);
    const original = new Linear(2, 2);
    const loaded = await AutoModel.fromPretrained(writeFolder("toy", { model_type: "toy_linear" }, original));
    assert.ok(loaded instanceof Toy);
    assertSameWeights(loaded, original);
    class Impostor extends Toy {
      static override readonly modelTypes = ["clip"];
    }
    assert.throws(() => registerModel(Impostor), { name: "ConfigError", message: /model_type "clip" is already registered by CLIPModel/ });
  });

  test("an OpenAI CLIP file alone is recognised by its keys", { skip: skipWithoutReference("clip", "tiny") }, async () => {
    const source = await openModelSource(referencePath("clip", "tiny", "openai-fp16.safetensors"));
    assert.equal(modelClassFor(source), CLIPModel);
    assert.ok(AutoModel.fromSource(source) instanceof CLIPModel);
  });
});
