/**
 * The model registry and AutoModel: the architecture is picked from config.json's `model_type`,
 * as transformers does. A weights file given alone may have no config; then a layout only one
 * architecture has (OpenAI's CLIP keys) decides. Every loadable model is listed here; models
 * never import this file, so the registry imports them without a cycle.
 */
import { ConfigError } from "../errors.js";
import { type ModelSource, openModelSource } from "../io/index.js";
import type { Module } from "../nn/index.js";
import { CLIPModel, type CLIPLoadOptions } from "./clip/model.js";
import { LlamaForCausalLM } from "./llama/model.js";
import { LlavaForConditionalGeneration } from "./llava/model.js";
import type { PretrainedModelClass } from "./pretrained.js";
import { CLIPVisionModel } from "./vit/model.js";

const REGISTRY: PretrainedModelClass[] = [CLIPModel, CLIPVisionModel, LlamaForCausalLM, LlavaForConditionalGeneration];

/**
 * Adds a model class (its `modelTypes`, `fromSource` and optional `recognises`) to the
 * registry, so AutoModel loads its folders. A model_type already registered is a ConfigError.
 *
 * @example
 * class MyModel extends Module {
 *   static readonly modelTypes = ["my_model"];
 *   static fromSource(source: ModelSource): MyModel { ... }
 * }
 * registerModel(MyModel);
 * const model = await AutoModel.fromPretrained("path/to/my-model-folder");
 */
export function registerModel(model: PretrainedModelClass): void {
  for (const type of model.modelTypes) {
    const owner = REGISTRY.find((m) => m.modelTypes.includes(type));
    if (owner && owner !== model) throw new ConfigError(model.name, `model_type "${type}" is already registered by ${owner.name}`);
  }
  if (!REGISTRY.includes(model)) REGISTRY.push(model);
}

/** The registered class for an opened source; a ConfigError says what is supported. */
export function modelClassFor(source: ModelSource): PretrainedModelClass {
  if (source.weightsFile) {
    const recognised = REGISTRY.find((m) => m.recognises?.(source.checkpoint));
    if (recognised) return recognised;
  }
  const supported = REGISTRY.flatMap((m) => m.modelTypes).join(", ");
  if (!source.config) {
    throw new ConfigError(source.configFile, `no config.json beside this weights file, and its keys are not a layout known without one; put the model's config.json beside it (supported model_type: ${supported})`);
  }
  const type = String(source.config.model_type ?? "");
  const model = REGISTRY.find((m) => m.modelTypes.includes(type));
  if (!model) throw new ConfigError(source.configFile, `model_type "${type}" is not supported (supported: ${supported})`);
  return model;
}

export const AutoModel = {
  /**
   * The model a folder, Hub id or weights file holds, as the class its model_type names.
   * `options`: where to look (Hub settings), `dtype`, and `hiddenAct` for an OpenAI CLIP file.
   *
   * @example
   * const model = await AutoModel.fromPretrained("openai/clip-vit-base-patch32"); // a CLIPModel
   * if (model instanceof LlavaForConditionalGeneration) model.generate(...);
   */
  async fromPretrained(source: string, options: CLIPLoadOptions = {}): Promise<Module> {
    return AutoModel.fromSource(await openModelSource(source, options), options);
  },

  /** Same, from an opened source (see `openModelSource`); its checkpoint is read and closed. */
  fromSource(source: ModelSource, options: CLIPLoadOptions = {}): Module {
    let model: PretrainedModelClass;
    try {
      model = modelClassFor(source);
    } catch (err) {
      source.checkpoint.close();
      throw err;
    }
    return model.fromSource(source, options);
  },
};
