import { ArgumentError } from "../errors.js";
import { pythonRound } from "../image/crop.js";
import { dropAlpha } from "../image/decode.js";
import { resizeLikePIL } from "../image/pil-resize.js";
import { Resampling, type ResamplingFilter } from "../image/resample.js";
import type { DecodedImage, SourceImage } from "../image/types.js";
import type { Generator } from "../tensor/random.js";

export interface RandomResizedCropOptions {
  /** Output side in pixels. */
  size: number;
  /** Range of the crop's area as a fraction of the image's; open_clip trains with (0.9, 1.0). */
  scale?: readonly [number, number];
  /** Range of the crop's width / height, drawn log-uniformly. */
  ratio?: readonly [number, number];
  resample?: ResamplingFilter;
}

export interface CropBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

export const OPEN_CLIP_TRAIN_SCALE: readonly [number, number] = [0.9, 1.0];
const DEFAULT_RATIO: readonly [number, number] = [3 / 4, 4 / 3];

/**
 * torchvision's `RandomResizedCrop.get_params` (with Python's rounding): up to 10 draws of an
 * area and a log-uniform aspect ratio until the box fits, else the largest centred box within
 * `ratio`. The draws come from our Generator, so boxes match torchvision's in law, not bit for bit.
 */
export function randomResizedCropBox(
  width: number,
  height: number,
  generator: Generator,
  scale: readonly [number, number] = OPEN_CLIP_TRAIN_SCALE,
  ratio: readonly [number, number] = DEFAULT_RATIO,
): CropBox {
  if (!(scale[0] > 0 && scale[0] <= scale[1] && scale[1] <= 1)) {
    throw new ArgumentError(`randomResizedCrop: scale must satisfy 0 < min <= max <= 1, got [${scale}]`);
  }
  if (!(ratio[0] > 0 && ratio[0] <= ratio[1])) {
    throw new ArgumentError(`randomResizedCrop: ratio must satisfy 0 < min <= max, got [${ratio}]`);
  }
  const area = width * height;
  const logRatio = [Math.log(ratio[0]), Math.log(ratio[1])];
  for (let attempt = 0; attempt < 10; attempt++) {
    const targetArea = area * (scale[0] + (scale[1] - scale[0]) * generator.uniform());
    const aspect = Math.exp(logRatio[0] + (logRatio[1] - logRatio[0]) * generator.uniform());
    const w = pythonRound(Math.sqrt(targetArea * aspect));
    const h = pythonRound(Math.sqrt(targetArea / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      return { x: generator.int(width - w + 1), y: generator.int(height - h + 1), width: w, height: h };
    }
  }
  const inRatio = width / height;
  let w = width;
  let h = height;
  if (inRatio < ratio[0]) h = pythonRound(w / ratio[0]);
  else if (inRatio > ratio[1]) w = pythonRound(h * ratio[1]);
  return { x: Math.floor((width - w) / 2), y: Math.floor((height - h) / 2), width: w, height: h };
}

function crop(img: SourceImage, box: CropBox): SourceImage {
  const ch = img.channels;
  const out = new Uint8Array(box.width * box.height * ch);
  for (let r = 0; r < box.height; r++) {
    const src = ((box.y + r) * img.width + box.x) * ch;
    out.set(img.data.subarray(src, src + box.width * ch), r * box.width * ch);
  }
  return { ...img, width: box.width, height: box.height, data: out };
}

/**
 * open_clip's train-time crop: a random box (see `randomResizedCropBox`) resized to
 * `size` x `size` with PIL's bicubic in the image's own mode, then RGB. No flip: captions
 * say "left" and "right". The box comes from `generator` alone, so a worker seeded per sample
 * reproduces it exactly.
 *
 * @example
 * const out = randomResizedCrop(await decodeSource("cat.jpg"), { size: 224 }, new Generator(mixSeed(seed, epoch, i)));
 */
export function randomResizedCrop(img: SourceImage, options: RandomResizedCropOptions, generator: Generator): DecodedImage {
  if (!Number.isInteger(options.size) || options.size < 1) {
    throw new ArgumentError(`randomResizedCrop: size must be a positive integer, got ${options.size}`);
  }
  const box = randomResizedCropBox(img.width, img.height, generator, options.scale, options.ratio);
  return dropAlpha(resizeLikePIL(crop(img, box), options.size, options.size, options.resample ?? Resampling.BICUBIC));
}
