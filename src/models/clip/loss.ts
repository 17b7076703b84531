/**
 * CLIP's contrastive objective (symmetric InfoNCE): in a batch of N matching (image, text)
 * pairs, each image must pick out its own caption among the N, and each caption its own image.
 * logits = exp(t) * cos(image_i, text_j); loss = (CE(logits, arange) + CE(logits^T, arange)) / 2.
 */
import { ShapeError } from "../../errors.js";
import { type Tensor, add, arange, crossEntropy, exp, matmul, mul, transpose } from "../../tensor/index.js";
import { formatShape } from "../../tensor/shape.js";

/** ln(100): open_clip and OpenAI clamp the learned temperature so logits stay below 100x cosine. */
export const MAX_LOGIT_SCALE = Math.log(100);
/** ln(1/0.07): the CLIP paper's initial temperature. */
export const INIT_LOGIT_SCALE = Math.log(1 / 0.07);

/**
 * @param imageEmbeds [N, E], L2-normalised
 * @param textEmbeds  [N, E], L2-normalised; row i describes image i
 * @param logitScale  0-d, ln of the inverse temperature (learned)
 */
export function clipContrastiveLoss(imageEmbeds: Tensor, textEmbeds: Tensor, logitScale: Tensor): Tensor {
  if (imageEmbeds.ndim !== 2 || textEmbeds.ndim !== 2 || imageEmbeds.shape[0] !== textEmbeds.shape[0] || imageEmbeds.shape[1] !== textEmbeds.shape[1]) {
    throw new ShapeError(`clip loss: image ${formatShape(imageEmbeds.shape)} and text ${formatShape(textEmbeds.shape)} embeddings must both be [N, E]`);
  }
  const n = imageEmbeds.shape[0];
  const logitsPerImage = mul(matmul(imageEmbeds, textEmbeds, { transB: true }), exp(logitScale)); // [N, N]
  const targets = arange(n);
  const imageToText = crossEntropy(logitsPerImage, targets);
  const textToImage = crossEntropy(transpose(logitsPerImage, 0, 1), targets);
  return mul(add(imageToText, textToImage), 0.5);
}
