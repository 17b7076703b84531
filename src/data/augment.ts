import { ArgumentError } from "../errors.js";
import { copyRegion, pythonRound } from "../image/crop.js";
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
  return dropAlpha(resizeLikePIL(copyRegion(img, box.x, box.y, box.width, box.height), options.size, options.size, options.resample ?? Resampling.BICUBIC));
}

export interface RandomBlurOptions {
  /** Chance that an image is blurred at all. */
  probability: number;
  /** Range of the Gaussian's standard deviation in output pixels, drawn uniformly (SimCLR: 0.1 to 2). */
  sigma: readonly [number, number];
}

/** SimCLR's blur range, in pixels of the image it is applied to. */
export const SIMCLR_BLUR_SIGMA: readonly [number, number] = [0.1, 2.0];

/**
 * A separable Gaussian blur of an RGB image (kernel radius ceil(3 sigma), mirrored borders as
 * torchvision's `GaussianBlur` pads), rounded back to bytes. Blur hides what differs between art
 * styles of the same subject (outlines, shading, texture) and keeps its colours and layout.
 */
export function gaussianBlur(img: DecodedImage, sigma: number): DecodedImage {
  if (!(sigma > 0)) throw new ArgumentError(`gaussianBlur: sigma must be positive, got ${sigma}`);
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const weights = new Float32Array(2 * radius + 1);
  let total = 0;
  for (let k = -radius; k <= radius; k++) total += weights[k + radius] = Math.exp(-(k * k) / (2 * sigma * sigma));
  for (let k = 0; k < weights.length; k++) weights[k] /= total;
  const { width, height } = img;
  /** Coordinate c in [-radius, n + radius) reflected into the image (torch's "reflect", no repeated edge), at c + radius. */
  const mirrored = (n: number): Int32Array =>
    Int32Array.from({ length: n + 2 * radius }, (_, at) => {
      if (n === 1) return 0;
      let c = at - radius;
      while (c < 0 || c >= n) c = c < 0 ? -c : 2 * (n - 1) - c;
      return c;
    });
  const column = mirrored(width);
  const row = mirrored(height);
  const pass = (src: Float32Array, horizontal: boolean): Float32Array => {
    const out = new Float32Array(src.length);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let r = 0, g = 0, b = 0;
        for (let k = 0; k <= 2 * radius; k++) {
          // x + k - radius (or y + ...) reflected, read from the table at x + k.
          const at = horizontal ? (y * width + column[x + k]) * 3 : (row[y + k] * width + x) * 3;
          const w = weights[k];
          r += w * src[at];
          g += w * src[at + 1];
          b += w * src[at + 2];
        }
        const o = (y * width + x) * 3;
        out[o] = r;
        out[o + 1] = g;
        out[o + 2] = b;
      }
    }
    return out;
  };
  const blurred = pass(pass(Float32Array.from(img.data), true), false);
  const data = new Uint8Array(blurred.length);
  for (let i = 0; i < data.length; i++) data[i] = Math.min(255, Math.max(0, Math.round(blurred[i])));
  return { ...img, data };
}

/** Blurs with `options.probability`, sigma drawn from `options.sigma`; draws come from `generator` only. */
export function randomBlur(img: DecodedImage, options: RandomBlurOptions, generator: Generator): DecodedImage {
  if (!(options.probability >= 0 && options.probability <= 1)) {
    throw new ArgumentError(`randomBlur: probability must be in [0, 1], got ${options.probability}`);
  }
  const [lo, hi] = options.sigma;
  if (!(lo > 0 && lo <= hi)) throw new ArgumentError(`randomBlur: sigma must satisfy 0 < min <= max, got [${options.sigma}]`);
  if (generator.uniform() >= options.probability) return img;
  return gaussianBlur(img, lo + (hi - lo) * generator.uniform());
}
