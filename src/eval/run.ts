/**
 * Evaluations of a CLIP model on a labelled image-caption dataset, as the field reports them:
 * zero-shot classification (top-1, top-5, per class, with template ensembles), image<->text
 * retrieval (R@1/5/10, mean and median rank) and the prompt-sensitivity table. Images are
 * decoded in worker threads by the data loader (undecodable ones are skipped and counted) and
 * embedded once per evaluation; every result is plain JSON.
 */
import { ArgumentError } from "../errors.js";
import { type ImageTextDataset, type ImageTextSample, type IndexedDataset, samples } from "../data/dataset.js";
import { ImageTextLoader } from "../data/loader.js";
import { l2Normalize } from "../models/clip/model.js";
import { type ClipParts, embedTexts } from "../pipelines/embed.js";
import { DEFAULT_TEMPLATES, classEmbeddings } from "../pipelines/zero-shot.js";
import { IMAGENET_TEMPLATES } from "../pipelines/templates.js";
import { type Tensor, concat, noGrad } from "../tensor/index.js";
import { type ClassificationResult, classificationMetrics } from "./classification.js";
import { DEFAULT_KS, type RetrievalResult, retrievalMetrics } from "./retrieval.js";

/** A dataset gathered for evaluation: each image once, every caption pointing at its image. */
export interface EvalSet {
  images: Array<{ key: string; image: string | Buffer; label?: string }>;
  captions: string[];
  /** captionImage[j] = index in `images` of the image caption j describes. */
  captionImage: number[];
}

/** An EvalSet with its images embedded; images that could not be decoded are left out. */
export interface EmbeddedEvalSet {
  set: EvalSet;
  /** [kept.length, E], L2-normalised. */
  imageEmbeds: Tensor;
  /** Indices into `set.images` of the images embedded, in row order of `imageEmbeds`. */
  kept: number[];
  skipped: number;
}

export interface EmbedOptions {
  /** Images per forward pass; default 64. */
  batchSize?: number;
  /** Decode threads (see ImageTextLoader). */
  workers?: number;
  /** Use only the first N rows of the dataset (a quick look at a large set). */
  limit?: number;
}

/**
 * Reads every row (stored order), grouping rows that share an image key: COCO-style data has
 * several captions per image, and retrieval must count any of them as a hit.
 */
export async function collectEvalSet(dataset: ImageTextDataset, limit = Infinity): Promise<EvalSet> {
  const set: EvalSet = { images: [], captions: [], captionImage: [] };
  const byKey = new Map<string, number>();
  let rows = 0;
  for await (const s of samples(dataset)) {
    if (rows++ >= limit) break;
    let i = byKey.get(s.key);
    if (i === undefined) {
      i = set.images.length;
      byKey.set(s.key, i);
      set.images.push({ key: s.key, image: s.image, label: s.label });
    }
    for (const caption of s.captions ?? [s.caption]) {
      set.captions.push(caption);
      set.captionImage.push(i);
    }
  }
  if (set.images.length === 0) throw new ArgumentError("evaluation: the dataset has no usable rows");
  return set;
}

/** The set's unique images as a dataset the loader can decode in stored order. */
function imagesAsDataset(set: EvalSet): IndexedDataset {
  return {
    kind: "indexed",
    size: set.images.length,
    get: async (i): Promise<ImageTextSample> => ({ key: String(i), image: set.images[i].image, caption: "-" }),
  };
}

/** Embeds each image of `set` once with the model's own preprocessing (resize, centre crop). */
export async function embedEvalSet(parts: ClipParts, set: EvalSet, options: EmbedOptions = {}): Promise<EmbeddedEvalSet> {
  const loader = new ImageTextLoader(imagesAsDataset(set), {
    batchSize: options.batchSize ?? 64,
    shuffle: false,
    transform: { name: "clip", config: parts.processor.config, padToSquare: parts.processor.options.padToSquare },
    ...(options.workers && { workers: options.workers }),
    onSkip: () => undefined, // counted in loader.stats and reported with the results
  });
  const chunks: Tensor[] = [];
  const kept: number[] = [];
  try {
    for await (const batch of loader.epoch(0)) {
      chunks.push(noGrad(() => l2Normalize(parts.model.encodeImage(batch.pixelValues))));
      for (const key of batch.keys) kept.push(Number(key));
    }
  } finally {
    await loader.close();
  }
  if (kept.length === 0) throw new ArgumentError(`evaluation: none of the ${set.images.length} images could be decoded`);
  return { set, imageEmbeds: concat(chunks, 0), kept, skipped: loader.stats.skipped };
}

export interface ZeroShotReport extends ClassificationResult {
  classes: number;
  templates: number;
  skippedImages: number;
}

/**
 * Zero-shot classification of the embedded images among the class names present in the set
 * (each image's `label`), every class the ensemble of `templates`.
 */
export function zeroShotFromEmbeds(parts: ClipParts, embedded: EmbeddedEvalSet, templates: readonly string[] = DEFAULT_TEMPLATES): ZeroShotReport {
  const labels = embedded.kept.map((i) => embedded.set.images[i].label);
  const missing = labels.findIndex((l) => l === undefined);
  if (missing >= 0) {
    throw new ArgumentError(
      `zero-shot evaluation needs a class name per image; ${embedded.set.images[embedded.kept[missing]].key} has none (open a manifest with a label column, e.g. --label-key name)`,
    );
  }
  const classNames = [...new Set(labels as string[])].sort();
  if (classNames.length < 2) throw new ArgumentError(`zero-shot evaluation needs at least 2 classes, the data has ${classNames.length}`);
  const index = new Map(classNames.map((c, i) => [c, i]));
  const classEmbeds = classEmbeddings(parts, classNames, templates);
  const result = classificationMetrics(embedded.imageEmbeds, classEmbeds, labels.map((l) => index.get(l as string)!), classNames);
  return { ...result, classes: classNames.length, templates: templates.length, skippedImages: embedded.skipped };
}

export interface RetrievalReport extends RetrievalResult {
  images: number;
  captions: number;
  skippedImages: number;
}

/** Image->text and text->image retrieval among the embedded images and their captions. */
export function retrievalFromEmbeds(parts: ClipParts, embedded: EmbeddedEvalSet, ks: readonly number[] = DEFAULT_KS): RetrievalReport {
  const row = new Map(embedded.kept.map((imageIndex, r) => [imageIndex, r]));
  const captions: string[] = [];
  const captionImage: number[] = [];
  embedded.set.captions.forEach((caption, j) => {
    const r = row.get(embedded.set.captionImage[j]);
    if (r === undefined) return; // its image could not be decoded
    captions.push(caption);
    captionImage.push(r);
  });
  const textEmbeds = embedTexts(parts, captions);
  const result = retrievalMetrics(embedded.imageEmbeds, textEmbeds, captionImage, ks);
  return { ...result, images: embedded.kept.length, captions: captions.length, skippedImages: embedded.skipped };
}

export interface ZeroShotEvalOptions extends EmbedOptions {
  /** Prompt templates, ensembled; default `["a photo of a {}."]`. */
  templates?: readonly string[];
}

/**
 * @example
 * const parts = await loadClipParts("openai/clip-vit-base-patch32");
 * const data = await openImageTextData("data/icons/manifest.jsonl", { labelKey: "name", where: { split: "test-style" } });
 * const r = await zeroShotEval(parts, data, { templates: IMAGENET_TEMPLATES });
 * r.top1; r.top5; r.perClass[0];   // { label, count, top1, top5 }
 */
export async function zeroShotEval(parts: ClipParts, dataset: ImageTextDataset, options: ZeroShotEvalOptions = {}): Promise<ZeroShotReport> {
  const embedded = await embedEvalSet(parts, await collectEvalSet(dataset, options.limit), options);
  return zeroShotFromEmbeds(parts, embedded, options.templates);
}

/**
 * @example
 * const r = await retrievalEval(parts, await openImageTextData("coco-val.jsonl"));
 * r.textToImage.recall[1]; r.imageToText.medianRank;
 */
export async function retrievalEval(parts: ClipParts, dataset: ImageTextDataset, options: EmbedOptions = {}): Promise<RetrievalReport> {
  const embedded = await embedEvalSet(parts, await collectEvalSet(dataset, options.limit), options);
  return retrievalFromEmbeds(parts, embedded);
}

export interface TemplateRow {
  setting: string;
  templates: number;
  top1: number;
  top5: number;
}

export interface TemplateSensitivityOptions extends EmbedOptions {
  /** A prompt in the data's own domain; default "an emoji of a {}.". */
  domainTemplate?: string;
  /** The ensemble row's templates and its name; default OpenAI's 80 ImageNet templates. */
  ensemble?: { name: string; templates: readonly string[] };
}

export const DEFAULT_DOMAIN_TEMPLATE = "an emoji of a {}.";

/**
 * Zero-shot top-1/top-5 for the prompts the CLIP paper compares (section 3.1.4): the bare
 * class name, "a photo of a {}.", a prompt describing the data's domain, and an ensemble.
 * The images are embedded once for all four rows.
 *
 * @example
 * const rows = await templateSensitivity(parts, data, { domainTemplate: "an icon of a {}." });
 * console.log(formatTemplateTable(rows));
 */
export async function templateSensitivity(parts: ClipParts, dataset: ImageTextDataset, options: TemplateSensitivityOptions = {}): Promise<TemplateRow[]> {
  const embedded = await embedEvalSet(parts, await collectEvalSet(dataset, options.limit), options);
  const domain = options.domainTemplate ?? DEFAULT_DOMAIN_TEMPLATE;
  const ensemble = options.ensemble ?? { name: "imagenet", templates: IMAGENET_TEMPLATES };
  const settings: Array<[string, readonly string[]]> = [
    ['bare label "{}"', ["{}"]],
    ['"a photo of a {}."', ["a photo of a {}."]],
    [`domain "${domain}"`, [domain]],
    [`ensemble (${ensemble.name}, ${ensemble.templates.length})`, ensemble.templates],
  ];
  return settings.map(([setting, templates]) => {
    const r = zeroShotFromEmbeds(parts, embedded, templates);
    return { setting, templates: templates.length, top1: r.top1, top5: r.top5 };
  });
}
