/**
 * Token ids in, token ids out: generation with a LLaVA or Llama-family model at the level of
 * ids (and pixels), for debugging and parity checks (`vlm generate`). The text tasks (`ask`,
 * `chat`) build on the same sampling choices.
 */
import { ArgumentError, ConfigError } from "../errors.js";
import { type OpenModelOptions, openModelSource } from "../io/index.js";
import { AutoModel } from "../models/auto.js";
import { type GenerateOptions, type GenerateResult, generate } from "../models/llama/generate.js";
import { LlamaForCausalLM } from "../models/llama/model.js";
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

/** A model that generates from ids, with where it came from (for messages). */
export interface TokenGenerator {
  model: LlavaForConditionalGeneration | LlamaForCausalLM;
  folder: string;
  /** config.json's `model_type`. */
  modelType: string;
}

/** A LLaVA or Llama-family model from a folder or Hub id, the class picked by the registry (models/auto.ts). */
export async function loadTokenGenerator(source: string, options: OpenModelOptions = {}): Promise<TokenGenerator> {
  const opened = await openModelSource(source, options);
  const model = AutoModel.fromSource(opened);
  if (model instanceof LlavaForConditionalGeneration || model instanceof LlamaForCausalLM) {
    return { model, folder: opened.folder, modelType: String(opened.config?.model_type) };
  }
  const supported = [LlavaForConditionalGeneration, LlamaForCausalLM].flatMap((m) => m.modelTypes).join(", ");
  throw new ConfigError(opened.configFile, `a ${model.constructor.name} cannot generate (supported model_type: ${supported})`);
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
