export { type ImageTextDataset, type ImageTextSample, type IndexedDataset, isSkipped, samples, type ShardedDataset, type SkippedSample, type SkipReason } from "./dataset.js";
export { type ManifestFormat, ManifestDataset, type ManifestOptions, openManifest } from "./manifest.js";
export { IMAGE_EXTENSIONS, ImageFolderDataset, openImageFolder } from "./folder.js";
export { expandBraces, openWebDataset, splitMemberName, WebDataset } from "./webdataset.js";
export { type CropBox, OPEN_CLIP_TRAIN_SCALE, randomResizedCrop, randomResizedCropBox, type RandomResizedCropOptions } from "./augment.js";
export { createTransform, type ImageTransform, type TransformSpec } from "./transform.js";
export { type ImageTextBatch, ImageTextLoader, type LoaderOptions, type LoaderPosition, type LoaderStats } from "./loader.js";
export { mixSeed, permutation } from "./seed.js";
export { BAR_CLASSES, type BarBatch, makeBars } from "./synthetic-bars.js";
