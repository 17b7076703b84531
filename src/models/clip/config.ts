/**
 * CLIP configuration in the Hugging Face `CLIPConfig` shape (snake_case, as config.json
 * stores it). Missing fields take transformers' defaults (ViT-B/32), so real Hub configs load.
 */
import { z } from "zod";
import { parseConfig } from "../config-schema.js";

export const ACTIVATIONS = ["quick_gelu", "gelu", "gelu_new", "gelu_pytorch_tanh", "relu", "silu"] as const;
export type ActivationName = (typeof ACTIVATIONS)[number];

const positiveInt = z.number().int().positive();

export const visionConfigSchema = z.object({
  hidden_size: positiveInt.default(768),
  intermediate_size: positiveInt.default(3072),
  num_attention_heads: positiveInt.default(12),
  num_hidden_layers: z.number().int().nonnegative().default(12),
  image_size: positiveInt.default(224),
  patch_size: positiveInt.default(32),
  num_channels: positiveInt.default(3),
  hidden_act: z.enum(ACTIVATIONS).default("quick_gelu"),
  layer_norm_eps: z.number().positive().default(1e-5),
});

export const textConfigSchema = z.object({
  hidden_size: positiveInt.default(512),
  intermediate_size: positiveInt.default(2048),
  num_attention_heads: positiveInt.default(8),
  num_hidden_layers: z.number().int().nonnegative().default(12),
  max_position_embeddings: positiveInt.default(77),
  vocab_size: positiveInt.default(49408),
  hidden_act: z.enum(ACTIVATIONS).default("quick_gelu"),
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

export type CLIPVisionConfig = z.output<typeof visionConfigSchema>;
export type CLIPTextConfig = z.output<typeof textConfigSchema>;
export type CLIPConfig = z.output<typeof clipConfigSchema>;
/** What a caller may write: every field optional but the two sections. */
export type CLIPConfigInput = z.input<typeof clipConfigSchema>;

/** Validates a parsed config.json; `source` names it in errors. */
export function parseCLIPConfig(value: unknown, source = "config"): CLIPConfig {
  return parseConfig(clipConfigSchema, value, source);
}

export function parseCLIPVisionConfig(value: unknown, source = "vision config"): CLIPVisionConfig {
  return parseConfig(visionConfigSchema, value, source);
}
