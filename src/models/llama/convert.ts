/**
 * Checkpoint keys -> LlamaForCausalLM's: the Hugging Face layout is the module's own, but older
 * checkpoints also store each layer's rotary inv_freq, which is recomputed from the config.
 */

/** True for a stored rotary-frequency buffer. */
export function isRotaryBuffer(key: string): boolean {
  return key.endsWith(".rotary_emb.inv_freq");
}

/** A stored key as the model names it; null for buffers the model recomputes. */
export function llamaKey(key: string): string | null {
  return isRotaryBuffer(key) ? null : key;
}
