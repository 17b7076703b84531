import { z } from "zod";
import { FileFormatError } from "../errors.js";
import { Resampling, type ResamplingFilter } from "./resample.js";

/** OpenAI CLIP's normalisation, the defaults of Hugging Face's `CLIPImageProcessor`. */
export const OPENAI_CLIP_MEAN: readonly [number, number, number] = [0.48145466, 0.4578275, 0.40821073];
export const OPENAI_CLIP_STD: readonly [number, number, number] = [0.26862954, 0.26130258, 0.27577711];

export type ResizeTarget = { shortestEdge: number } | { height: number; width: number };

/** `preprocessor_config.json` as a typed record (Hugging Face key names, camelCased). */
export interface CLIPImageProcessorConfig {
  doResize: boolean;
  size: ResizeTarget;
  resample: ResamplingFilter;
  doCenterCrop: boolean;
  cropSize: { height: number; width: number };
  doRescale: boolean;
  rescaleFactor: number;
  doNormalize: boolean;
  imageMean: readonly [number, number, number];
  imageStd: readonly [number, number, number];
}

export const CLIP_DEFAULTS: CLIPImageProcessorConfig = {
  doResize: true,
  size: { shortestEdge: 224 },
  resample: Resampling.BICUBIC,
  doCenterCrop: true,
  cropSize: { height: 224, width: 224 },
  doRescale: true,
  rescaleFactor: 1 / 255,
  doNormalize: true,
  imageMean: OPENAI_CLIP_MEAN,
  imageStd: OPENAI_CLIP_STD,
};

const side = z.number().int().positive();
const triple = z
  .union([z.number(), z.tuple([z.number(), z.number(), z.number()])], {
    error: "expected a number or a list of 3 numbers (one per RGB channel)",
  })
  .transform((v) => (typeof v === "number" ? ([v, v, v] as const) : v));
const hw = z.strictObject({ height: side, width: side });

// Hugging Face accepts an int or a dict for both sizes; other keys (processor_class,
// image_processor_type, ...) are informational and ignored, as transformers ignores them.
const schema = z.object({
  do_resize: z.boolean().optional(),
  size: z
    .union([side, z.strictObject({ shortest_edge: side }), hw], {
      error: "expected a positive integer, {shortest_edge} or {height, width}",
    })
    .optional(),
  resample: z
    .union([0, 1, 2, 3, 4, 5].map((n) => z.literal(n)) as [z.ZodLiteral<0>, ...z.ZodLiteral<number>[]], {
      error: "expected a PIL resampling filter number 0-5 (3 = bicubic)",
    })
    .optional(),
  do_center_crop: z.boolean().optional(),
  crop_size: z.union([side, hw], { error: "expected a positive integer or {height, width}" }).optional(),
  do_rescale: z.boolean().optional(),
  rescale_factor: z.number().positive().optional(),
  do_normalize: z.boolean().optional(),
  image_mean: triple.optional(),
  image_std: triple.refine((v) => v.every((s) => s > 0), "standard deviations must be positive").optional(),
  // Decoding always yields RGB, so this can only be accepted, not acted on.
  do_convert_rgb: z.boolean().optional(),
});

/**
 * Validates a parsed `preprocessor_config.json`; missing keys take CLIP's defaults. `file` names
 * the source in errors, which list every offending key on one line.
 */
export function parsePreprocessorConfig(json: unknown, file: string): CLIPImageProcessorConfig {
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new FileFormatError(file, `invalid preprocessor config: ${problems.join("; ")}`);
  }
  const c = parsed.data;
  const d = CLIP_DEFAULTS;
  const size: ResizeTarget | undefined =
    c.size === undefined
      ? undefined
      : typeof c.size === "number"
        ? { shortestEdge: c.size }
        : "shortest_edge" in c.size
          ? { shortestEdge: c.size.shortest_edge }
          : c.size;
  return {
    doResize: c.do_resize ?? d.doResize,
    size: size ?? d.size,
    resample: (c.resample ?? d.resample) as ResamplingFilter,
    doCenterCrop: c.do_center_crop ?? d.doCenterCrop,
    cropSize: typeof c.crop_size === "number" ? { height: c.crop_size, width: c.crop_size } : (c.crop_size ?? d.cropSize),
    doRescale: c.do_rescale ?? d.doRescale,
    rescaleFactor: c.rescale_factor ?? d.rescaleFactor,
    doNormalize: c.do_normalize ?? d.doNormalize,
    imageMean: c.image_mean ?? d.imageMean,
    imageStd: c.image_std ?? d.imageStd,
  };
}
