/**
 * CLIP embeddings of images and texts, L2-normalised: the building block of zero-shot
 * classification, search and evaluation, and the `vlm embed` task.
 */
import { ArgumentError } from "../errors.js";
import type { CLIPImageProcessor, ImageInput } from "../image/index.js";
import { type CLIPModel, l2Normalize } from "../models/clip/model.js";
import { Tensor, concat, noGrad, tensor } from "../tensor/index.js";
import type { CLIPTokenizer } from "../tokenizers/clip/index.js";

export interface ClipParts {
  model: CLIPModel;
  tokenizer: CLIPTokenizer;
  processor: CLIPImageProcessor;
}

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

export interface EmbedRequest {
  images?: readonly ImageInput[];
  texts?: readonly string[];
}

/** One embedding per input, in the order given. */
export interface Embeddings {
  images: number[][];
  texts: number[][];
}

/** The rows of a [N, D] tensor as plain arrays (JSON-ready). */
function rows(t: Tensor): number[][] {
  const [n, d] = t.shape;
  const data = t.f32();
  return Array.from({ length: n }, (_, i) => Array.from(data.subarray(i * d, (i + 1) * d)));
}

/**
 * L2-normalised embeddings of images and texts in one shared space: a cosine similarity is
 * their dot product.
 *
 * @example
 * const clip = await loadClipParts();
 * const { images, texts } = await embed(clip, { images: ["cat.jpg"], texts: ["a cat", "a dog"] });
 * images[0].length;   // 128 with the shipped model
 */
export async function embed(parts: ClipParts, request: EmbedRequest): Promise<Embeddings> {
  const images = request.images ?? [];
  const texts = request.texts ?? [];
  if (images.length === 0 && texts.length === 0) throw new ArgumentError("embed: nothing to embed (no images and no texts)");
  return {
    images: images.length ? rows(await embedImages(parts, images)) : [],
    texts: texts.length ? rows(embedTexts(parts, texts)) : [],
  };
}
