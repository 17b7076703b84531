export { llavaConfigSchema, parseLlavaConfig, type LlavaConfig } from "./config.js";
export {
  LlavaForConditionalGeneration, LlavaProjector, VisionTower, mergeImageFeatures, type LlavaInputs, type LlavaGenerateInput,
} from "./model.js";
export { loadLlava, buildLlava, legacyKey, type LlavaLoadOptions, type LoadedLlava } from "./load.js";
