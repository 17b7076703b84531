/**
 * Zero-shot image classification with CLIP: each class becomes the mean of its normalised
 * prompt embeddings (one per template), renormalised; an image's scores are the softmax of
 * exp(logit_scale) * cosine similarity over the classes.
 */
import { ArgumentError } from "../errors.js";
import type { CLIPImageProcessor, ImageInput } from "../image/index.js";
import { l2Normalize, type CLIPModel } from "../models/clip/model.js";
import { Tensor, concat, matmul, mean, mul, noGrad, softmax, tensor } from "../tensor/index.js";
import type { CLIPTokenizer } from "../tokenizers/clip/index.js";
import { checkTemplate, fillTemplate } from "./templates.js";

export interface ClipParts {
  model: CLIPModel;
  tokenizer: CLIPTokenizer;
  processor: CLIPImageProcessor;
}

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

/** Token ids of `texts` as the model's tokenizer pads them: [N, contextLength] int32. */
export function tokenizeBatch(tokenizer: CLIPTokenizer, texts: readonly string[], contextLength = 77): Tensor {
  const { inputIds } = tokenizer.tokenize([...texts], { contextLength });
  const width = inputIds[0]?.length ?? 0;
  return tensor(inputIds.flat(), { dtype: "int32", shape: [inputIds.length, width] });
}

/** L2-normalised text embeddings [N, E]. */
export function embedTexts(parts: Pick<ClipParts, "model" | "tokenizer">, texts: readonly string[], batchSize = 256): Tensor {
  return noGrad(() => {
    const chunks: Tensor[] = [];
    for (let i = 0; i < texts.length; i += batchSize) {
      const ids = tokenizeBatch(parts.tokenizer, texts.slice(i, i + batchSize), parts.model.config.text_config.max_position_embeddings);
      chunks.push(l2Normalize(parts.model.encodeText(ids)));
    }
    return concat(chunks, 0);
  });
}

/** L2-normalised image embeddings [N, E] from files, buffers or decoded images. */
export async function embedImages(parts: Pick<ClipParts, "model" | "processor">, images: readonly ImageInput[], batchSize = 32): Promise<Tensor> {
  const chunks: Tensor[] = [];
  for (let i = 0; i < images.length; i += batchSize) {
    const pixels = await parts.processor.preprocess([...images.slice(i, i + batchSize)]);
    chunks.push(noGrad(() => l2Normalize(parts.model.encodeImage(pixels))));
  }
  return concat(chunks, 0);
}

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

