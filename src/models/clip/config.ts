/**
 * CLIP configuration in the Hugging Face `CLIPConfig` shape (snake_case, as config.json
 * stores it): the vision config of vit/config.ts, a text config, the projection. Missing fields
 * take transformers' defaults (ViT-B/32), so real Hub configs load.
 */
import { z } from "zod";
import { parseConfig } from "../config-schema.js";
import { type VisionConfig, activationSchema, visionConfigSchema } from "../vit/config.js";

const positiveInt = z.number().int().positive();

export const textConfigSchema = z.object({
  hidden_size: positiveInt.default(512),
  intermediate_size: positiveInt.default(2048),
  num_attention_heads: positiveInt.default(8),
  num_hidden_layers: z.number().int().nonnegative().default(12),
  max_position_embeddings: positiveInt.default(77),
  vocab_size: positiveInt.default(49408),
  hidden_act: activationSchema.default("quick_gelu"),
  layer_norm_eps: z.number().positive().default(1e-5),
  bos_token_id: z.number().int().default(49406),
  eos_token_id: z.number().int().default(49407),
  pad_token_id: z.number().int().default(1),
});

export const clipConfigSchema = z.object({
  projection_dim: positiveInt.default(512),
  logit_scale_init_value: z.number().default(2.6592),
  vision_config: visionConfigSchema,
  text_config: textConfigSchema,
});

/** CLIP's image tower is the ViT's vision config (vit/config.ts). */
export type CLIPVisionConfig = VisionConfig;
export type CLIPTextConfig = z.output<typeof textConfigSchema>;
export type CLIPConfig = z.output<typeof clipConfigSchema>;
/** What a caller may write: every field optional but the two sections. */
export type CLIPConfigInput = z.input<typeof clipConfigSchema>;

/** Validates a parsed config.json; `source` names it in errors. */
export function parseCLIPConfig(value: unknown, source = "config"): CLIPConfig {
  return parseConfig(clipConfigSchema, value, source);
}
