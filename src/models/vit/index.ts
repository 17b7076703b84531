export { ViTEmbeddings, VisionTransformer, ViTForImageClassification, type VisionForwardOptions, type VisionOutput } from "./model.js";
export { Encoder, EncoderLayer, type EncoderConfig, type EncoderForwardOptions } from "./encoder.js";
export { parseViTConfig, vitConfigSchema, type ViTConfig, type ViTConfigInput } from "./config.js";
