export { llamaConfigSchema, parseLlamaConfig, eosTokenIds, type LlamaConfig, type LlamaConfigInput } from "./config.js";
export { LlamaForCausalLM, LlamaModel, LlamaDecoderLayer, LlamaAttention, LlamaMLP, type LMForwardOptions } from "./model.js";
export { KVCache } from "./kv-cache.js";
export { inverseFrequencies, rotaryTables, applyRotary, type RotaryTables } from "./rope.js";
export { type Weight, type Init, type ParamSource, ParamScope, randomSource, StoredLinear, StoredEmbedding } from "./weights.js";
export {
  type SamplingOptions, type LogitsProcessor, repetitionPenalty, temperature, topK, topP, minP, logitsProcessors, argmax, sample,
} from "./sampling.js";
export {
  type TokenDecoder, type GenerateOptions, type GenerateInput, type GenerateResult, type GenerateStep, type FinishReason,
  generate, generateSteps, streamGenerate,
} from "./generate.js";
export { Checkpoint, type LoadDType } from "./checkpoint.js";
export { loadLlama, buildLlama, type LMLoadOptions, type LoadedLM } from "./load.js";
