/**
 * Configuration of the Llama family (Llama, Mistral, Qwen2) in the Hugging Face shape, as
 * config.json stores it. Missing fields take transformers' LlamaConfig defaults (Llama 2 7B),
 * because LLaVA's configs list only what differs from them.
 */
import { z } from "zod";
import { ConfigError } from "../../errors.js";
import { parseConfig } from "../config-schema.js";

const positiveInt = z.number().int().positive();

const ropeScalingSchema = z
  .object({
    // Older configs say `type`, newer ones `rope_type`.
    rope_type: z.string().optional(),
    type: z.string().optional(),
    factor: z.number().positive().default(1),
    low_freq_factor: z.number().positive().default(1),
    high_freq_factor: z.number().positive().default(4),
    original_max_position_embeddings: positiveInt.default(8192),
  })
  .nullable()
  .default(null);

export const llamaConfigSchema = z
  .object({
    model_type: z.string().default("llama"),
    vocab_size: positiveInt.default(32000),
    hidden_size: positiveInt.default(4096),
    intermediate_size: positiveInt.default(11008),
    num_hidden_layers: z.number().int().nonnegative().default(32),
    num_attention_heads: positiveInt.default(32),
    /** Defaults to num_attention_heads (multi-head attention); fewer is grouped-query. */
    num_key_value_heads: positiveInt.nullable().optional(),
    /** Defaults to hidden_size / num_attention_heads. */
    head_dim: positiveInt.nullable().optional(),
    hidden_act: z.literal("silu").default("silu"),
    max_position_embeddings: positiveInt.default(2048),
    rms_norm_eps: z.number().positive().default(1e-6),
    rope_theta: z.number().positive().default(10000),
    rope_scaling: ropeScalingSchema,
    /** Llama: bias on q, k, v and o. (Qwen2 has q/k/v biases whatever this says.) */
    attention_bias: z.boolean().default(false),
    mlp_bias: z.boolean().default(false),
    tie_word_embeddings: z.boolean().default(false),
    /** Mistral (and Qwen2 with use_sliding_window): a query sees only this many latest keys. */
    sliding_window: positiveInt.nullable().default(null),
    use_sliding_window: z.boolean().optional(),
    bos_token_id: z.number().int().nullable().default(1),
    eos_token_id: z.union([z.number().int(), z.array(z.number().int())]).nullable().default(2),
    pad_token_id: z.number().int().nullable().default(null),
  })
  .transform((c) => ({
    ...c,
    num_key_value_heads: c.num_key_value_heads ?? c.num_attention_heads,
    head_dim: c.head_dim ?? Math.floor(c.hidden_size / c.num_attention_heads),
    qkvBias: c.attention_bias || c.model_type === "qwen2",
    outputBias: c.attention_bias,
    // transformers applies Qwen2's window only when use_sliding_window is set; Mistral always.
    window: c.model_type === "mistral" || (c.model_type === "qwen2" && c.use_sliding_window) ? c.sliding_window : null,
  }));

export type LlamaConfig = z.output<typeof llamaConfigSchema>;
export type LlamaConfigInput = z.input<typeof llamaConfigSchema>;

export function parseLlamaConfig(value: unknown, source = "language model config"): LlamaConfig {
  const c = parseConfig(llamaConfigSchema, value, source);
  if (c.num_attention_heads % c.num_key_value_heads !== 0) {
    throw new ConfigError(source, `num_attention_heads (${c.num_attention_heads}) must be a multiple of num_key_value_heads (${c.num_key_value_heads})`);
  }
  if (c.head_dim % 2 !== 0) throw new ConfigError(source, `head_dim must be even for rotary embeddings, got ${c.head_dim}`);
  const rope = c.rope_scaling?.rope_type ?? c.rope_scaling?.type ?? "default";
  if (!["default", "linear", "llama3"].includes(rope)) {
    throw new ConfigError(source, `rope_scaling type "${rope}" is not supported (supported: default, linear, llama3)`);
  }
  return c;
}

/** The eos ids of a config as a list (configs give one id, a list, or null). */
export function eosTokenIds(c: LlamaConfig): number[] {
  if (c.eos_token_id === null) return [];
  return Array.isArray(c.eos_token_id) ? c.eos_token_id : [c.eos_token_id];
}
