import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { ArgumentError, FileFormatError, ImageDecodeError, NotFoundError } from "../errors.js";
import { Tensor } from "../tensor/tensor.js";
import { CLIP_DEFAULTS, type CLIPImageProcessorConfig, parsePreprocessorConfig } from "./config.js";
import { centerCrop, centerCropWindow } from "./crop.js";
import { DEFAULT_MAX_PIXELS, type DecodeOptions, decodeSource, dropAlpha } from "./decode.js";
import { padToSquare } from "./pad.js";
import { resizeLikePIL } from "./pil-resize.js";
import type { DecodedImage, PixelImage, SourceImage } from "./types.js";

export interface CLIPImageProcessorOptions extends DecodeOptions {
  /**
   * LLaVA's `image_aspect_ratio: "pad"`: convert to RGB, pad to a square with the mean colour
   * (`expand2square`), then resize and crop, so nothing is cropped away.
   */
  padToSquare?: boolean;
}

export type ImageInput = string | Buffer | DecodedImage | SourceImage;

/** Output size of a shortest-edge resize, as torchvision's `Resize(int)` and HF compute it. */
function shortestEdgeSize(width: number, height: number, edge: number): [number, number] {
  const long = Math.trunc((edge * Math.max(width, height)) / Math.min(width, height));
  return width <= height ? [edge, long] : [long, edge];
}

/**
 * CLIP image preprocessing with the original OpenAI pipeline's pixels: PIL-exact resize of the
 * shorter side (in the image's own mode, as the original resizes before `convert("RGB")`),
 * centre crop with Python's rounding, RGB, rescale, normalise. Named and configured like
 * Hugging Face's `CLIPImageProcessor`.
 *
 * @example
 * const proc = await CLIPImageProcessor.fromPretrained("models/clip-vit-b32");
 * const pixels = await proc.preprocess(["cat.jpg", "dog.png"]); // Tensor [2, 3, 224, 224]
 */
export class CLIPImageProcessor {
  readonly config: CLIPImageProcessorConfig;
  readonly options: CLIPImageProcessorOptions;

  constructor(config: Partial<CLIPImageProcessorConfig> = {}, options: CLIPImageProcessorOptions = {}) {
    this.config = { ...CLIP_DEFAULTS, ...config };
    this.options = options;
  }

  /** Reads `preprocessor_config.json` from a model folder; without one, CLIP's defaults. */
  static async fromPretrained(folder: string, options: CLIPImageProcessorOptions = {}): Promise<CLIPImageProcessor> {
    const info = await stat(folder).catch(() => null);
    if (!info?.isDirectory()) throw new NotFoundError(`model folder not found: ${folder}`);
    const file = join(folder, "preprocessor_config.json");
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return new CLIPImageProcessor({}, options);
      throw err;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new FileFormatError(file, `not valid JSON: ${(err as Error).message}`, { cause: err });
    }
    return new CLIPImageProcessor(parsePreprocessorConfig(json, file), options);
  }

  /**
   * One image through resize and crop, as 8-bit RGB (what the model sees, before scaling).
   * Intermediate images are bounded by `maxPixels` like decoded ones: a resize followed by a
   * centre crop only computes the crop, and a resize or square padding that would need more
   * pixels than the limit is refused (ImageDecodeError, reason "too-many-pixels").
   */
  async prepare(input: ImageInput): Promise<DecodedImage> {
    const c = this.config;
    const name = typeof input === "string" ? input : "<buffer>";
    const maxPixels = this.options.maxPixels ?? DEFAULT_MAX_PIXELS;
    const refuse = (what: string, w: number, h: number) => {
      throw new ImageDecodeError(name, "too-many-pixels", `too many pixels: ${what} ${w}x${h} (limit ${maxPixels}, see maxPixels)`);
    };
    let img: PixelImage & { indexed?: boolean; cmyk?: boolean } =
      typeof input === "string" || Buffer.isBuffer(input) ? await decodeSource(input, this.options) : input;
    // Resizing and cropping keep CMYK as CMYK (as PIL does); it becomes RGB last.
    const cmyk = img.cmyk === true;
    if (img.channels !== 3 && img.channels !== 4) {
      throw new ArgumentError(`CLIPImageProcessor: images must be RGB or RGBA, got ${img.channels} channels`);
    }
    if (this.options.padToSquare) {
      const side = Math.max(img.width, img.height);
      if (side * side > maxPixels) refuse(`${img.width}x${img.height} padded to a square is`, side, side);
      img = padToSquare(dropAlpha(img), c.imageMean);
    }
    if (c.doResize) {
      const [w, h] =
        "shortestEdge" in c.size ? shortestEdgeSize(img.width, img.height, c.size.shortestEdge) : [c.size.width, c.size.height];
      const window = c.doCenterCrop ? centerCropWindow(w, h, c.cropSize.width, c.cropSize.height) : undefined;
      if (!window && w * h > maxPixels) refuse(`${img.width}x${img.height} resized is`, w, h);
      img = resizeLikePIL(img, w, h, c.resample, window);
    }
    const cropped = c.doCenterCrop ? centerCrop(img, c.cropSize.width, c.cropSize.height) : img;
    return dropAlpha({ ...cropped, cmyk: cmyk && !this.options.padToSquare });
  }

  /**
   * Images to a `[N, 3, H, W]` float32 batch; every image must come out the same size. Images
   * are decoded one at a time, so a batch holds at most one full-size image in memory (plus
   * the small prepared ones), however many images at the pixel limit it is given.
   */
  async preprocess(images: readonly ImageInput[]): Promise<Tensor> {
    if (images.length === 0) throw new ArgumentError("CLIPImageProcessor.preprocess: no images given");
    const prepared: DecodedImage[] = [];
    for (const img of images) prepared.push(await this.prepare(img));
    const { width: W, height: H } = prepared[0];
    const odd = prepared.findIndex((p) => p.width !== W || p.height !== H);
    if (odd >= 0) {
      throw new ArgumentError(
        `CLIPImageProcessor.preprocess: image ${odd} is ${prepared[odd].width}x${prepared[odd].height}, image 0 is ${W}x${H}; enable center crop or a {height, width} size to batch them`,
      );
    }
    const c = this.config;
    const plane = H * W;
    const out = new Float32Array(prepared.length * 3 * plane);
    for (let ch = 0; ch < 3; ch++) {
      // torchvision works in float32: x / 255, then (x - mean) / std, each step rounded.
      const mean = Math.fround(c.doNormalize ? c.imageMean[ch] : 0);
      const std = Math.fround(c.doNormalize ? c.imageStd[ch] : 1);
      const lut = new Float32Array(256);
      for (let v = 0; v < 256; v++) {
        const x = c.doRescale ? Math.fround(v * c.rescaleFactor) : v;
        lut[v] = Math.fround(x - mean) / std;
      }
      prepared.forEach((p, n) => {
        const base = (n * 3 + ch) * plane;
        for (let i = 0; i < plane; i++) out[base + i] = lut[p.data[i * 3 + ch]];
      });
    }
    return new Tensor(out, [prepared.length, 3, H, W]);
  }
}
