export {
  ViTEmbeddings, VisionTransformer, CLIPVisionModel, ViTForImageClassification, type VisionForwardOptions, type VisionOutput,
} from "./model.js";
export { Encoder, EncoderLayer, type EncoderConfig, type EncoderForwardOptions } from "./encoder.js";
export {
  parseViTConfig, vitConfigSchema, visionConfigSchema, activationSchema, type ViTConfig, type ViTConfigInput, type VisionConfig,
} from "./config.js";
