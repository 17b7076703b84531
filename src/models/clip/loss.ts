/**
 * CLIP's contrastive objective (symmetric InfoNCE): in a batch of N matching (image, text)
 * pairs, each image must pick out its own caption among the N, and each caption its own image.
 * logits = exp(t) * cos(image_i, text_j); loss = (CE(logits, arange) + CE(logits^T, arange)) / 2.
 *
 * With class names per pair, pairs of the same class are positives to each other (UniCL,
 * Yang et al. 2022): the target of row i is spread evenly over the columns of its class
 * instead of one-hot on column i. Without it, two drawings of "cat face" in one batch are each
 * other's negatives, and a large batch of labelled data has many such false negatives.
 */
import { ShapeError } from "../../errors.js";
import { Tensor, add, arange, crossEntropy, exp, logSoftmax, matmul, mul, sum, transpose } from "../../tensor/index.js";
import { formatShape } from "../../tensor/shape.js";

/** ln(100): open_clip and OpenAI clamp the learned temperature so logits stay below 100x cosine. */
export const MAX_LOGIT_SCALE = Math.log(100);
/** ln(1/0.07): the CLIP paper's initial temperature. */
export const INIT_LOGIT_SCALE = Math.log(1 / 0.07);

export interface ClipLossOptions {
  /** Class of each pair: pairs sharing one are positives to each other. Default: only pair i matches i. */
  classes?: readonly string[];
}

/**
 * @param imageEmbeds [N, E], L2-normalised
 * @param textEmbeds  [N, E], L2-normalised; row i describes image i
 * @param logitScale  0-d, ln of the inverse temperature (learned)
 */
export function clipContrastiveLoss(imageEmbeds: Tensor, textEmbeds: Tensor, logitScale: Tensor, options: ClipLossOptions = {}): Tensor {
  if (imageEmbeds.ndim !== 2 || textEmbeds.ndim !== 2 || imageEmbeds.shape[0] !== textEmbeds.shape[0] || imageEmbeds.shape[1] !== textEmbeds.shape[1]) {
    throw new ShapeError(`clip loss: image ${formatShape(imageEmbeds.shape)} and text ${formatShape(textEmbeds.shape)} embeddings must both be [N, E]`);
  }
  const n = imageEmbeds.shape[0];
  if (options.classes && options.classes.length !== n) {
    throw new ShapeError(`clip loss: ${options.classes.length} classes for a batch of ${n} pairs`);
  }
  const logitsPerImage = mul(matmul(imageEmbeds, textEmbeds, { transB: true }), exp(logitScale)); // [N, N]
  const logitsPerText = transpose(logitsPerImage, 0, 1);
  if (options.classes) {
    // The class relation is symmetric, so one target matrix serves both directions.
    const targets = sameClassTargets(options.classes);
    return mul(add(softTargetCrossEntropy(logitsPerImage, targets), softTargetCrossEntropy(logitsPerText, targets)), 0.5);
  }
  const targets = arange(n);
  return mul(add(crossEntropy(logitsPerImage, targets), crossEntropy(logitsPerText, targets)), 0.5);
}

/** [N, N]: row i is uniform over the pairs whose class is class i (itself included). */
function sameClassTargets(classes: readonly string[]): Tensor {
  const n = classes.length;
  const data = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    let count = 0;
    for (let j = 0; j < n; j++) if (classes[j] === classes[i]) count++;
    for (let j = 0; j < n; j++) if (classes[j] === classes[i]) data[i * n + j] = 1 / count;
  }
  return new Tensor(data, [n, n]);
}

/** mean_i -sum_j targets[i, j] log softmax(logits[i])_j: PyTorch's cross_entropy with probability targets. */
function softTargetCrossEntropy(logits: Tensor, targets: Tensor): Tensor {
  return mul(sum(mul(logSoftmax(logits, -1), targets)), -1 / logits.shape[0]);
}
