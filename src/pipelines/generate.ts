/**
 * Token ids in, token ids out: generation with a LLaVA or Llama-family model at the level of
 * ids (and pixels), for debugging and parity checks (`vlm generate`). The text tasks (`ask`,
 * `chat`) build on the same sampling choices.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ArgumentError, ConfigError, NotFoundError } from "../errors.js";
import { type ProgressCallback, resolveModelPath } from "../io/hub/index.js";
import { readJson } from "../models/lm/checkpoint.js";
import { type GenerateOptions, type GenerateResult, generate } from "../models/lm/generate.js";
import { loadLlama } from "../models/lm/load.js";
import type { LlamaForCausalLM } from "../models/lm/model.js";
import { loadLlava } from "../models/llava/load.js";
import { LlavaForConditionalGeneration } from "../models/llava/model.js";
import type { Tensor } from "../tensor/index.js";

/** How the next token is chosen: greedy unless a temperature above 0 asks for sampling. */
export interface SamplingChoice {
  /** 0 or unset: greedy. */
  temperature?: number;
  /** Seeds sampling: the same seed gives the same tokens. */
  seed?: number;
}

/** The generation options a sampling choice stands for. */
export function samplingOptions(choice: SamplingChoice): Pick<GenerateOptions, "seed" | "doSample" | "temperature"> {
  const sampling = choice.temperature !== undefined && choice.temperature > 0;
  return { seed: choice.seed, ...(sampling ? { doSample: true, temperature: choice.temperature } : {}) };
}

const LANGUAGE_MODELS = ["llama", "mistral", "qwen2"];

/** A model that generates from ids, with where it came from (for messages). */
export interface TokenGenerator {
  model: LlavaForConditionalGeneration | LlamaForCausalLM;
  folder: string;
  /** config.json's `model_type`. */
  modelType: string;
}

/** A LLaVA or Llama-family model from a folder or Hub id, picked by config.json's `model_type`. */
export async function loadTokenGenerator(source: string, options: { onProgress?: ProgressCallback } = {}): Promise<TokenGenerator> {
  const folder = await resolveModelPath(source, options);
  const configFile = join(folder, "config.json");
  if (!existsSync(configFile)) throw new NotFoundError(`${folder}: no config.json in this model folder`);
  const modelType = String((readJson(configFile) as { model_type?: unknown }).model_type);
  if (modelType === "llava") return { model: (await loadLlava(folder)).model, folder, modelType };
  if (LANGUAGE_MODELS.includes(modelType)) return { model: (await loadLlama(folder)).model, folder, modelType };
  throw new ConfigError(configFile, `model_type "${modelType}" cannot generate (supported: llava, ${LANGUAGE_MODELS.join(", ")})`);
}

export interface TokenRequest {
  /** One prompt per row, unpadded. */
  inputIds: readonly (readonly number[])[];
  /** [nImages, 3, H, W] for the prompts' image tokens (LLaVA only). */
  pixelValues?: Tensor;
}

export interface TokenOptions extends SamplingChoice {
  /** New tokens per row at most. */
  maxNewTokens: number;
  /** Do not stop at the end-of-sequence token. */
  ignoreEos?: boolean;
}

/**
 * Generates new tokens for every row (greedy unless `temperature` > 0).
 *
 * @example
 * const lm = await loadTokenGenerator("TinyLlama/TinyLlama-1.1B-Chat-v1.0");
 * generateTokens(lm, { inputIds: [[1, 450, 4996]] }, { maxNewTokens: 10 }).tokens[0];
 */
export function generateTokens(generator: TokenGenerator, request: TokenRequest, options: TokenOptions): GenerateResult {
  if (request.inputIds.length === 0) throw new ArgumentError("generate: no prompts (inputIds has no rows)");
  const generateOptions: GenerateOptions = {
    maxNewTokens: options.maxNewTokens,
    ...samplingOptions(options),
    ...(options.ignoreEos ? { eosTokenId: null } : {}),
  };
  const { model } = generator;
  if (model instanceof LlavaForConditionalGeneration) {
    return model.generate({ inputIds: request.inputIds, pixelValues: request.pixelValues }, generateOptions);
  }
  if (request.pixelValues) {
    throw new ArgumentError(`pixel values need a LLaVA model; ${generator.folder} is a ${generator.modelType} language model`);
  }
  return generate(model, { inputIds: request.inputIds }, generateOptions);
}
