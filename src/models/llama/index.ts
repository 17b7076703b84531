export { llamaConfigSchema, parseLlamaConfig, eosTokenIds, type LlamaConfig, type LlamaConfigInput } from "./config.js";
export { LlamaForCausalLM, LlamaModel, LlamaDecoderLayer, LlamaAttention, LlamaMLP, type LMForwardOptions } from "./model.js";
export { isRotaryBuffer, llamaKey } from "./convert.js";
export { KVCache } from "./kv-cache.js";
export { inverseFrequencies, rotaryTables, applyRotary, type RotaryTables } from "./rope.js";
export {
  type SamplingOptions, type LogitsProcessor, repetitionPenalty, temperature, topK, topP, minP, logitsProcessors, argmax, sample,
} from "./sampling.js";
export {
  type TokenDecoder, type GenerateOptions, type GenerateInput, type GenerateResult, type GenerateStep, type FinishReason,
  generate, generateSteps, streamGenerate,
} from "./generate.js";
