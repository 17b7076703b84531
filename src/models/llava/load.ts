/**
 * Loading LLaVA from a Hugging Face folder or Hub id. Checkpoints name its weights two ways:
 * the legacy layout (`language_model.model.*`, `language_model.lm_head.weight`,
 * `vision_tower.*`, `multi_modal_projector.*`, which the module fields follow) and the one of
 * transformers >= 4.52 (`model.language_model.*`, `lm_head.weight`, `model.vision_tower.*`,
 * `model.multi_modal_projector.*`); both load.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { NotFoundError } from "../../errors.js";
import { type ResolveOptions, resolveModelPath } from "../../io/hub/index.js";
import type { Module } from "../../nn/index.js";
import { Checkpoint, type LoadDType, readJson } from "../llama/checkpoint.js";
import { buildLlama, isRotaryBuffer } from "../llama/load.js";
import { type LlavaConfig, parseLlavaConfig } from "./config.js";
import { LlavaForConditionalGeneration } from "./model.js";

export interface LlavaLoadOptions extends ResolveOptions {
  /** "auto" (default) keeps the language model's F16/BF16 matrices 16-bit; "float32" upcasts. */
  dtype?: LoadDType;
}

export interface LoadedLlava {
  model: LlavaForConditionalGeneration;
  folder: string;
}

const CURRENT_TO_LEGACY: Array<[string, string]> = [
  ["model.language_model.", "language_model.model."],
  ["lm_head.", "language_model.lm_head."],
  ["model.vision_tower.", "vision_tower."],
  ["model.multi_modal_projector.", "multi_modal_projector."],
];

/** A stored key in the legacy layout; null for buffers the model recomputes. */
export function legacyKey(key: string): string | null {
  if (isRotaryBuffer(key) || key.endsWith(".position_ids")) return null;
  for (const [current, legacy] of CURRENT_TO_LEGACY) if (key.startsWith(current)) return legacy + key.slice(current.length);
  return key;
}

/** Fills a float32 submodule from the checkpoint, strictly (keys under `prefix`). */
function loadModule(module: Module, checkpoint: Checkpoint, prefix: string): void {
  const weights = new Map([...module.stateDict()].map(([key, t]) => [key, checkpoint.float32(prefix + key, t.shape)]));
  module.loadStateDict(weights);
}

/** Builds LLaVA from an open checkpoint in the legacy key layout. */
export function buildLlava(config: LlavaConfig, checkpoint: Checkpoint): LlavaForConditionalGeneration {
  const model = new LlavaForConditionalGeneration(config, buildLlama(config.text, checkpoint, "language_model."));
  loadModule(model.vision_tower, checkpoint, "vision_tower.");
  loadModule(model.multi_modal_projector, checkpoint, "multi_modal_projector.");
  return model.eval();
}

/**
 * Loads LLaVA from a model folder or Hub id.
 *
 * @example
 * const { model, folder } = await loadLlava("llava-hf/llava-1.5-7b-hf");   // fp16 kept 16-bit
 */
export async function loadLlava(source: string, options: LlavaLoadOptions = {}): Promise<LoadedLlava> {
  const folder = await resolveModelPath(source, options);
  const configFile = join(folder, "config.json");
  if (!existsSync(configFile)) throw new NotFoundError(`${folder}: no config.json in this model folder`);
  const config = parseLlavaConfig(readJson(configFile), configFile);
  const checkpoint = new Checkpoint(folder, { dtype: options.dtype, rename: legacyKey });
  try {
    const model = buildLlava(config, checkpoint);
    checkpoint.finish();
    return { model, folder };
  } finally {
    checkpoint.close();
  }
}
