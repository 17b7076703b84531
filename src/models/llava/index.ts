export { llavaConfigSchema, parseLlavaConfig, type LlavaConfig } from "./config.js";
export {
  LlavaForConditionalGeneration, LlavaProjector, mergeImageFeatures, type LlavaInputs, type LlavaGenerateInput,
} from "./model.js";
export { legacyKey } from "./convert.js";
