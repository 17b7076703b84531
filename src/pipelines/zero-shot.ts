/**
 * Zero-shot image classification with CLIP: each class becomes the mean of its normalised
 * prompt embeddings (one per template), renormalised; an image's scores are the softmax of
 * exp(logit_scale) * cosine similarity over the classes.
 */
import { ArgumentError } from "../errors.js";
import type { ImageInput } from "../image/index.js";
import { l2Normalize, type CLIPModel } from "../models/clip/model.js";
import { type Tensor, matmul, mean, mul, noGrad, softmax } from "../tensor/index.js";
import { type ClipParts, embedImages, embedTexts } from "./embed.js";
import { checkTemplate, fillTemplate } from "./templates.js";

export interface LabelScore {
  label: string;
  score: number;
}

export interface ZeroShotOptions {
  /** Prompt templates with `{}` for the label; default `["a photo of a {}."]`. */
  templates?: readonly string[];
  /** Keep only the best K labels per image (all by default). */
  topK?: number;
  /** Texts per text-encoder batch. */
  batchSize?: number;
}

export const DEFAULT_TEMPLATES: readonly string[] = ["a photo of a {}."];

/**
 * One embedding per class [C, E]: the normalised mean of the normalised template embeddings
 * (CLIP's prompt ensembling, averaged in embedding space rather than over probabilities).
 */
export function classEmbeddings(
  parts: Pick<ClipParts, "model" | "tokenizer">, labels: readonly string[], templates: readonly string[] = DEFAULT_TEMPLATES, batchSize = 256,
): Tensor {
  if (labels.length === 0) throw new ArgumentError("zero-shot classification needs at least one label");
  if (templates.length === 0) throw new ArgumentError("zero-shot classification needs at least one template");
  templates.forEach(checkTemplate);
  const texts = labels.flatMap((label) => templates.map((t) => fillTemplate(t, label)));
  const all = embedTexts(parts, texts, batchSize); // [C * T, E]
  return noGrad(() => {
    const perClass = all.reshape(labels.length, templates.length, -1); // [C, T, E]
    return l2Normalize(mean(perClass, 1)); // [C, E]
  });
}

/** Softmax scores [N, C] of normalised image embeddings against class embeddings. */
export function scoreClasses(model: CLIPModel, imageEmbeds: Tensor, classEmbeds: Tensor): Tensor {
  return noGrad(() => softmax(mul(matmul(imageEmbeds, classEmbeds, { transB: true }), model.temperatureScale()), -1));
}

/** Rows of scores to labels sorted best first. */
export function rankLabels(scores: Tensor, labels: readonly string[], topK = labels.length): LabelScore[][] {
  const [n, c] = scores.shape;
  const data = scores.f32();
  const out: LabelScore[][] = [];
  for (let i = 0; i < n; i++) {
    const row = Array.from({ length: c }, (_, j) => ({ label: labels[j], score: data[i * c + j] }));
    row.sort((a, b) => b.score - a.score);
    out.push(row.slice(0, Math.max(1, topK)));
  }
  return out;
}

/**
 * Classifies images among `labels` with no training.
 *
 * @example
 * const parts = await loadClipParts("openai/clip-vit-base-patch32");
 * const [best] = await zeroShotClassify(parts, ["cat.jpg"], ["cat", "dog", "car"], {
 *   templates: IMAGENET_TEMPLATES,
 * });
 * best[0];   // { label: "cat", score: 0.97 }
 */
export async function zeroShotClassify(
  parts: ClipParts, images: readonly ImageInput[], labels: readonly string[], options: ZeroShotOptions = {},
): Promise<LabelScore[][]> {
  const classes = classEmbeddings(parts, labels, options.templates ?? DEFAULT_TEMPLATES, options.batchSize);
  const imageEmbeds = await embedImages(parts, images);
  return rankLabels(scoreClasses(parts.model, imageEmbeds, classes), labels, options.topK);
}

