import { ArgumentError } from "../errors.js";

/**
 * Prompt templates for zero-shot classification. `{}` is replaced by the class name.
 * IMAGENET: the 80 templates OpenAI ensembled for ImageNet (CLIP paper, section 3.1.4).
 * SIMPLE: the 7-template subset OpenAI found works about as well (the CLIP repository's
 * prompt-engineering notebook).
 */
export const IMAGENET_TEMPLATES: readonly string[] = [
  "a bad photo of a {}.", "a photo of many {}.", "a sculpture of a {}.", "a photo of the hard to see {}.",
  "a low resolution photo of the {}.", "a rendering of a {}.", "graffiti of a {}.", "a bad photo of the {}.",
  "a cropped photo of the {}.", "a tattoo of a {}.", "the embroidered {}.", "a photo of a hard to see {}.",
  "a bright photo of a {}.", "a photo of a clean {}.", "a photo of a dirty {}.", "a dark photo of the {}.",
  "a drawing of a {}.", "a photo of my {}.", "the plastic {}.", "a photo of the cool {}.",
  "a close-up photo of a {}.", "a black and white photo of the {}.", "a painting of the {}.", "a painting of a {}.",
  "a pixelated photo of the {}.", "a sculpture of the {}.", "a bright photo of the {}.", "a cropped photo of a {}.",
  "a plastic {}.", "a photo of the dirty {}.", "a jpeg corrupted photo of a {}.", "a blurry photo of the {}.",
  "a photo of the {}.", "a good photo of the {}.", "a rendering of the {}.", "a {} in a video game.",
  "a photo of one {}.", "a doodle of a {}.", "a close-up photo of the {}.", "a photo of a {}.",
  "the origami {}.", "the {} in a video game.", "a sketch of a {}.", "a doodle of the {}.",
  "a origami {}.", "a low resolution photo of a {}.", "the toy {}.", "a rendition of the {}.",
  "a photo of the clean {}.", "a photo of a large {}.", "a rendition of a {}.", "a photo of a nice {}.",
  "a photo of a weird {}.", "a blurry photo of a {}.", "a cartoon {}.", "art of a {}.",
  "a sketch of the {}.", "a embroidered {}.", "a pixelated photo of a {}.", "itap of the {}.",
  "a jpeg corrupted photo of the {}.", "a good photo of a {}.", "a plushie {}.", "a photo of the nice {}.",
  "a photo of the small {}.", "a photo of the weird {}.", "the cartoon {}.", "art of the {}.",
  "a drawing of the {}.", "a photo of the large {}.", "a black and white photo of a {}.", "the plushie {}.",
  "a dark photo of a {}.", "itap of a {}.", "graffiti of the {}.", "a toy {}.",
  "itap of my {}.", "a photo of a cool {}.", "a photo of a small {}.", "a tattoo of the {}.",
];

export const SIMPLE_TEMPLATES: readonly string[] = [
  "itap of a {}.", "a bad photo of the {}.", "a origami {}.", "a photo of the large {}.",
  "a {} in a video game.", "art of the {}.", "a photo of the small {}.",
];

export const TEMPLATE_SETS = { imagenet: IMAGENET_TEMPLATES, simple: SIMPLE_TEMPLATES } as const;
export type TemplateSetName = keyof typeof TEMPLATE_SETS;

/**
 * Throws unless `template` has a place for the label (`{}`, or `{label}`): without one every
 * class gets the same prompt, hence the same embedding and the same score, a result that looks
 * valid and means nothing.
 *
 * @example
 * checkTemplate("a photo of a {}.");   // fine
 * checkTemplate("a photo");            // ArgumentError
 */
export function checkTemplate(template: string): void {
  if (!template.includes("{}") && !template.includes("{label}")) {
    throw new ArgumentError(
      `template ${JSON.stringify(template)} has no "{}" for the label: every label would get the same prompt and the same score`,
    );
  }
}

/** Fills a template: `{}` (OpenAI's convention) or `{label}`; see `checkTemplate`. */
export function fillTemplate(template: string, label: string): string {
  checkTemplate(template);
  return template.includes("{}") ? template.split("{}").join(label) : template.split("{label}").join(label);
}
