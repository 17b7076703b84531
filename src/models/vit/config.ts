/**
 * Vision Transformer configuration: CLIP's vision config (HF snake_case) plus the classic
 * ViT's options (a classification head, whether a LayerNorm precedes the encoder).
 */
import { z } from "zod";
import { parseConfig } from "../config-schema.js";
import { visionConfigSchema } from "../clip/config.js";

export const vitConfigSchema = visionConfigSchema.extend({
  /** CLIP adds a LayerNorm on the embeddings (`pre_layrnorm`, sic); the original ViT does not. */
  pre_norm: z.boolean().default(true),
  /** Size of the classification head on the CLS token; 0 for none. */
  num_labels: z.number().int().nonnegative().default(0),
});

export type ViTConfig = z.output<typeof vitConfigSchema>;
export type ViTConfigInput = z.input<typeof vitConfigSchema>;

export function parseViTConfig(value: unknown, source = "vit config"): ViTConfig {
  return parseConfig(vitConfigSchema, value, source);
}
