export { CLIPModel, CLIPTextTransformer, CLIPTextEmbeddings, l2Normalize, type CLIPOutput, type TextOutput } from "./model.js";
export { parseCLIPConfig, clipConfigSchema, type CLIPConfig, type CLIPConfigInput, type CLIPTextConfig, type CLIPVisionConfig } from "./config.js";
export { loadCLIP, buildCLIP, readWeightsFile, type CLIPLoadOptions, type LoadedCLIP } from "./load.js";
export { convertOpenAICLIP, inferOpenAICLIPConfig, isOpenAICLIPLayout } from "./convert.js";
export { clipContrastiveLoss, MAX_LOGIT_SCALE, INIT_LOGIT_SCALE } from "./loss.js";
