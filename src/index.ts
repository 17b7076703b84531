/**
 * vlmkit: vision-language models on Node.js. The names follow Hugging Face's, so code reads
 * as users know it from Python.
 */
export * as tensor from "./tensor/index.js";
export * as nn from "./nn/index.js";
export * as optim from "./optim/index.js";
export { Tensor, tensor as makeTensor, noGrad } from "./tensor/index.js";
export * from "./errors.js";
export { loadSafetensors, saveSafetensors, loadWeights, openSafetensors, openModelSource, Checkpoint, type ModelSource } from "./io/index.js";
export { loadTorchCheckpoint } from "./io/torch/index.js";
export { resolveModelPath } from "./io/hub/index.js";
export { CLIPImageProcessor, decodeImage } from "./image/index.js";
export { CLIPTokenizer } from "./tokenizers/clip/index.js";
export { ViTForImageClassification, VisionTransformer, CLIPVisionModel } from "./models/vit/model.js";
export { parseViTConfig, type ViTConfig } from "./models/vit/config.js";
export { CLIPModel, l2Normalize, type CLIPOutput, type CLIPLoadOptions } from "./models/clip/model.js";
export { parseCLIPConfig, type CLIPConfig } from "./models/clip/config.js";
export { AutoModel, registerModel } from "./models/auto.js";
export type { PretrainedModelClass, PretrainedOptions } from "./models/pretrained.js";
export { zeroShotClassify, classEmbeddings, embedImages, embedTexts, type LabelScore } from "./pipelines/zero-shot.js";
export { IMAGENET_TEMPLATES, SIMPLE_TEMPLATES } from "./pipelines/templates.js";
export { loadClipParts } from "./pipelines/load-clip-parts.js";
export { AutoTokenizer, type AnyTokenizer } from "./tokenizers/auto.js";
export { PreTrainedTokenizer, type EncodeOptions, type DecodeTextOptions } from "./tokenizers/pretrained.js";
export { ChatTemplate, type ChatMessage, type ChatContent } from "./tokenizers/chat-template.js";
export { trainByteLevelBpe } from "./tokenizers/train-bpe.js";
export { LlamaForCausalLM, generate, streamGenerate, type GenerateOptions, type GenerateResult } from "./models/llama/index.js";
export { LlavaForConditionalGeneration, type LlavaGenerateInput } from "./models/llava/index.js";
export { AutoProcessor, LlavaProcessor, type LlavaProcessorOutput } from "./models/llava/processor.js";
