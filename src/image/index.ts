export { CLIPImageProcessor, type CLIPImageProcessorOptions, type ImageInput } from "./processor.js";
export {
  CLIP_DEFAULTS,
  type CLIPImageProcessorConfig,
  OPENAI_CLIP_MEAN,
  OPENAI_CLIP_STD,
  parsePreprocessorConfig,
  type ResizeTarget,
} from "./config.js";
export { DEFAULT_MAX_PIXELS, type DecodeOptions, decodeImage, decodeSource, dropAlpha } from "./decode.js";
export {
  Resampling,
  type ResamplingFilter,
  resizeBicubicPIL,
  resizeBilinearPIL,
  resizeNearestPIL,
  resizePIL,
} from "./resample.js";
export { type ResizableImage, resizeLikePIL } from "./pil-resize.js";
export { centerCrop, pythonRound } from "./crop.js";
export { padToSquare } from "./pad.js";
export type { DecodedImage, PixelImage, SourceImage } from "./types.js";
