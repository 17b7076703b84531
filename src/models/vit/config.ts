/**
 * Vision Transformer configuration. The vision config is Hugging Face's `CLIPVisionConfig`
 * (snake_case, as config.json stores it; missing fields take transformers' defaults, ViT-B/32),
 * which CLIP's image tower and LLaVA's vision tower share; the classic ViT adds a
 * classification head and whether a LayerNorm precedes the encoder.
 */
import { z } from "zod";
import { ACTIVATION_NAMES } from "../../nn/index.js";
import { parseConfig } from "../config-schema.js";

/** A config's `hidden_act` (or `projector_hidden_act`): an activation nn knows. */
export const activationSchema = z.enum(ACTIVATION_NAMES);

const positiveInt = z.number().int().positive();

export const visionConfigSchema = z.object({
  hidden_size: positiveInt.default(768),
  intermediate_size: positiveInt.default(3072),
  num_attention_heads: positiveInt.default(12),
  num_hidden_layers: z.number().int().nonnegative().default(12),
  image_size: positiveInt.default(224),
  patch_size: positiveInt.default(32),
  num_channels: positiveInt.default(3),
  hidden_act: activationSchema.default("quick_gelu"),
  layer_norm_eps: z.number().positive().default(1e-5),
});

export const vitConfigSchema = visionConfigSchema.extend({
  /** CLIP adds a LayerNorm on the embeddings (`pre_layrnorm`, sic); the original ViT does not. */
  pre_norm: z.boolean().default(true),
  /** Size of the classification head on the CLS token; 0 for none. */
  num_labels: z.number().int().nonnegative().default(0),
});

export type VisionConfig = z.output<typeof visionConfigSchema>;
export type ViTConfig = z.output<typeof vitConfigSchema>;
export type ViTConfigInput = z.input<typeof vitConfigSchema>;

/** Validates a parsed config (a CLIPVisionConfig, or one with ViT's extra fields); `source` names it in errors. */
export function parseViTConfig(value: unknown, source = "vit config"): ViTConfig {
  return parseConfig(vitConfigSchema, value, source);
}
