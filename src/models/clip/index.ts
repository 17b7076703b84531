export { CLIPModel, CLIPTextTransformer, CLIPTextEmbeddings, l2Normalize, type CLIPLoadOptions, type CLIPOutput, type TextOutput } from "./model.js";
export { parseCLIPConfig, clipConfigSchema, type CLIPConfig, type CLIPConfigInput, type CLIPTextConfig, type CLIPVisionConfig } from "./config.js";
export { convertOpenAICLIP, inferOpenAICLIPConfig, isOpenAICLIPLayout, tidyHFCLIPKeys } from "./convert.js";
export { clipContrastiveLoss, MAX_LOGIT_SCALE, INIT_LOGIT_SCALE } from "./loss.js";
