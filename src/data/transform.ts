import { ArgumentError } from "../errors.js";
import type { CLIPImageProcessorConfig } from "../image/config.js";
import { CLIPImageProcessor } from "../image/processor.js";
import type { SourceImage } from "../image/types.js";
import type { Generator } from "../tensor/random.js";
import type { Tensor } from "../tensor/tensor.js";
import { OPEN_CLIP_TRAIN_SCALE, type RandomBlurOptions, randomBlur, randomResizedCrop } from "./augment.js";

/**
 * A preprocessing step named by data, not by a function, because it has to cross into worker
 * threads (functions cannot be posted). `clip` is the evaluation pipeline (resize the short
 * side, centre crop, normalise); `random-resized-crop` is open_clip's training one, optionally followed by a random blur.
 */
export type TransformSpec =
  | { name: "clip"; config?: Partial<CLIPImageProcessorConfig>; padToSquare?: boolean }
  | {
      name: "random-resized-crop";
      /** Output side; default 224. */
      size?: number;
      scale?: readonly [number, number];
      ratio?: readonly [number, number];
      /** Gaussian blur of the crop, with a probability (none by default). */
      blur?: RandomBlurOptions;
      /** Normalisation, CLIP's by default. */
      imageMean?: readonly [number, number, number];
      imageStd?: readonly [number, number, number];
    };

/** Decoded pixels to a `[1, 3, H, W]` float32 tensor; random draws only from `generator`. */
export type ImageTransform = (img: SourceImage, generator: Generator) => Promise<Tensor>;

export function createTransform(spec: TransformSpec): ImageTransform {
  switch (spec.name) {
    case "clip": {
      const processor = new CLIPImageProcessor(spec.config, { padToSquare: spec.padToSquare });
      return (img) => processor.preprocess([img]);
    }
    case "random-resized-crop": {
      const size = spec.size ?? 224;
      const options = { size, scale: spec.scale ?? OPEN_CLIP_TRAIN_SCALE, ratio: spec.ratio };
      // The crop already has its final size: only rescale and normalise remain.
      const normalize = new CLIPImageProcessor({
        doResize: false,
        doCenterCrop: false,
        ...(spec.imageMean && { imageMean: spec.imageMean }),
        ...(spec.imageStd && { imageStd: spec.imageStd }),
      });
      const { blur } = spec;
      return (img, generator) => {
        const crop = randomResizedCrop(img, options, generator);
        return normalize.preprocess([blur ? randomBlur(crop, blur, generator) : crop]);
      };
    }
    default:
      throw new ArgumentError(`unknown transform "${(spec as { name: string }).name}"; expected "clip" or "random-resized-crop"`);
  }
}
