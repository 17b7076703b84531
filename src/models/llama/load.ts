/**
 * Loading a Llama-family causal LM (LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM)
 * from a Hugging Face folder or Hub id.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { NotFoundError } from "../../errors.js";
import { type ResolveOptions, resolveModelPath } from "../../io/hub/index.js";
import { Checkpoint, type LoadDType, readJson } from "./checkpoint.js";
import { type LlamaConfig, parseLlamaConfig } from "./config.js";
import { LlamaForCausalLM } from "./model.js";

export interface LMLoadOptions extends ResolveOptions {
  /**
   * "auto" (default): F16/BF16 matrices stay 16-bit in memory and are converted as they are
   * used (a 7B fp16 model needs ~14 GB, not 28). "float32": everything upcast, e.g. to train.
   */
  dtype?: LoadDType;
}

export interface LoadedLM {
  model: LlamaForCausalLM;
  /** The folder holding config, tokenizer and generation files. */
  folder: string;
}

/** Older checkpoints store each layer's rotary inv_freq; it is recomputed from the config. */
export function isRotaryBuffer(key: string): boolean {
  return key.endsWith(".rotary_emb.inv_freq");
}

/**
 * Builds the LM from a checkpoint whose keys (after the checkpoint's renaming) are the LM's
 * own under `prefix`. Tied checkpoints sometimes store lm_head too: that copy is ignored.
 */
export function buildLlama(config: LlamaConfig, checkpoint: Checkpoint, prefix = ""): LlamaForCausalLM {
  const source = {
    weight: (key: string, shape: readonly number[]) => checkpoint.weight(prefix + key, shape),
    float32: (key: string, shape: readonly number[]) => checkpoint.float32(prefix + key, shape),
  };
  const model = new LlamaForCausalLM(config, source);
  if (config.tie_word_embeddings) checkpoint.skip(`${prefix}lm_head.weight`);
  return model.eval();
}

/**
 * Loads a causal LM from a model folder or Hub id.
 *
 * @example
 * const { model, folder } = await loadLlama("TinyLlama/TinyLlama-1.1B-Chat-v1.0");
 * const { model: f32 } = await loadLlama("models/tiny-llama", { dtype: "float32" });
 */
export async function loadLlama(source: string, options: LMLoadOptions = {}): Promise<LoadedLM> {
  const folder = await resolveModelPath(source, options);
  const configFile = join(folder, "config.json");
  if (!existsSync(configFile)) throw new NotFoundError(`${folder}: no config.json in this model folder`);
  const config = parseLlamaConfig(readJson(configFile), configFile);
  const checkpoint = new Checkpoint(folder, { dtype: options.dtype, rename: (k) => (isRotaryBuffer(k) ? null : k) });
  try {
    const model = buildLlama(config, checkpoint);
    checkpoint.finish();
    return { model, folder };
  } finally {
    checkpoint.close();
  }
}
