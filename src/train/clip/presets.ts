/**
 * Model sizes to train from scratch, as data (open_clip's model configs in spirit). Every
 * preset uses CLIP's own 49408-token BPE vocabulary, so a checkpoint loads with any CLIP
 * tokenizer; text towers are short (32 tokens) because captions of small datasets are.
 *
 * | preset     | image / patch | vision width x layers (heads) | text width x layers (heads) | context | embed | params |
 * |------------|---------------|-------------------------------|-----------------------------|---------|-------|--------|
 * | tiny       | 32 / 8        | 32 x 1 (2)                    | 32 x 1 (2)                  | 16      | 32    | ~1.6M  |
 * | icons-tiny | 64 / 8        | 192 x 4 (3)                   | 192 x 4 (3)                 | 32      | 128   | ~13M   |
 * | small      | 128 / 16      | 384 x 6 (6)                   | 256 x 6 (4)                 | 32      | 256   | ~27M   |
 *
 * Most of a small model's parameters are the token embedding table (49408 x text width).
 */
import { existsSync } from "node:fs";
import { ArgumentError, NotFoundError } from "../../errors.js";
import { readJson } from "../../io/json.js";
import { type CLIPConfig, type CLIPConfigInput, parseCLIPConfig } from "../../models/clip/config.js";
import { INIT_LOGIT_SCALE } from "../../models/clip/loss.js";

function preset(
  image: number, patch: number, vision: [width: number, layers: number, heads: number],
  text: [width: number, layers: number, heads: number], context: number, projection: number,
): CLIPConfigInput {
  return {
    projection_dim: projection,
    logit_scale_init_value: INIT_LOGIT_SCALE,
    vision_config: {
      image_size: image, patch_size: patch, hidden_size: vision[0], num_hidden_layers: vision[1],
      num_attention_heads: vision[2], intermediate_size: 4 * vision[0],
    },
    text_config: {
      hidden_size: text[0], num_hidden_layers: text[1], num_attention_heads: text[2],
      intermediate_size: 4 * text[0], max_position_embeddings: context,
    },
  };
}

export const MODEL_PRESETS = {
  /** A smoke test: trains in seconds, learns colours and shapes. */
  tiny: preset(32, 8, [32, 1, 2], [32, 1, 2], 16, 32),
  /** Sized for the 64 px icons corpus (data/icons) on a laptop CPU. */
  "icons-tiny": preset(64, 8, [192, 4, 3], [192, 4, 3], 32, 128),
  /** A ViT-S-like image tower at 128 px for larger image-caption sets. */
  small: preset(128, 16, [384, 6, 6], [256, 6, 4], 32, 256),
} as const satisfies Record<string, CLIPConfigInput>;

export type ModelPresetName = keyof typeof MODEL_PRESETS;

/**
 * A CLIPConfig from a preset name or a JSON file (a Hugging Face CLIP config.json, or the same
 * fields with only what differs from transformers' defaults).
 *
 * @example
 * resolveModelConfig("icons-tiny").vision_config.image_size;   // 64
 * resolveModelConfig("configs/my-clip.json");
 */
export function resolveModelConfig(spec: string): CLIPConfig {
  if (Object.hasOwn(MODEL_PRESETS, spec)) return parseCLIPConfig(MODEL_PRESETS[spec as ModelPresetName], `preset ${spec}`);
  if (!spec.endsWith(".json")) {
    throw new ArgumentError(`unknown model config "${spec}": use a preset (${Object.keys(MODEL_PRESETS).join(", ")}) or a .json file`);
  }
  if (!existsSync(spec)) throw new NotFoundError(`model config file not found: ${spec}`);
  return parseCLIPConfig(readJson(spec), spec);
}
