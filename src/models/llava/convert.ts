/**
 * Checkpoint keys -> LlavaForConditionalGeneration's. Checkpoints name its weights two ways: the
 * legacy layout (`language_model.model.*`, `language_model.lm_head.weight`, `vision_tower.*`,
 * `multi_modal_projector.*`, which the module fields follow) and the one of transformers >= 4.52
 * (`model.language_model.*`, `lm_head.weight`, `model.vision_tower.*`,
 * `model.multi_modal_projector.*`); both load.
 */
import { isRotaryBuffer } from "../llama/convert.js";
import { isPositionIdsBuffer } from "../vit/convert.js";

const CURRENT_TO_LEGACY: Array<[string, string]> = [
  ["model.language_model.", "language_model.model."],
  ["lm_head.", "language_model.lm_head."],
  ["model.vision_tower.", "vision_tower."],
  ["model.multi_modal_projector.", "multi_modal_projector."],
];

/** A stored key in the legacy layout; null for buffers the model recomputes. */
export function legacyKey(key: string): string | null {
  if (isRotaryBuffer(key) || isPositionIdsBuffer(key)) return null;
  for (const [current, legacy] of CURRENT_TO_LEGACY) if (key.startsWith(current)) return legacy + key.slice(current.length);
  return key;
}
