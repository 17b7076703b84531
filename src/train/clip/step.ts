/**
 * CLIP's part of a training step: a batch of image-caption pairs to the symmetric InfoNCE loss
 * of their L2-normalised embeddings, and the temperature clamp after each update.
 */
import type { ImageTextBatch } from "../../data/loader.js";
import { MAX_LOGIT_SCALE, clipContrastiveLoss } from "../../models/clip/loss.js";
import { type CLIPModel, l2Normalize } from "../../models/clip/model.js";
import { tokenizeBatch } from "../../pipelines/embed.js";
import type { Tensor } from "../../tensor/index.js";
import type { CLIPTokenizer } from "../../tokenizers/clip/index.js";

/**
 * The loss of one micro-batch. With `labelPositives`, pairs of one label are positives to each
 * other (UniCL), else only each image's own caption is.
 */
export function contrastiveLoss(model: CLIPModel, tokenizer: CLIPTokenizer, batch: ImageTextBatch, labelPositives = false): Tensor {
  const ids = tokenizeBatch(tokenizer, batch.captions, model.config.text_config.max_position_embeddings);
  const imageEmbeds = l2Normalize(model.encodeImage(batch.pixelValues)); // [B, E]
  const textEmbeds = l2Normalize(model.encodeText(ids)); // [B, E]
  return clipContrastiveLoss(imageEmbeds, textEmbeds, model.logit_scale, { classes: labelPositives ? batch.labels : undefined });
}

/** Keeps logit_scale in [0, ln 100] (CLIP paper, section 2.5), writing the parameter in place. */
export function clampLogitScale(model: CLIPModel): void {
  const data = model.logit_scale.f32("clamp");
  const clamped = Math.min(Math.max(data[0], 0), Math.fround(MAX_LOGIT_SCALE));
  if (clamped !== data[0]) {
    data[0] = clamped;
    // Weights are cached in packed form by the backend; in-place writes must say so.
    model.logit_scale.markChanged();
  }
}
