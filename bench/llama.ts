/**
 * A Llama-shaped decoder with random weights (dim 768, 12 layers, 12 heads, SwiGLU 2048, vocab
 * 32000: a TinyLlama/GPT-2-small sized model): prefill tokens/s over a 512-token prompt and
 * decode tokens/s (32 tokens after a 16-token prompt, KV cache), with fp32 weights and fp16
 * weights kept 16-bit, on 1 and 2 threads; PyTorch runs the same shapes (bench/baselines/
 * torch_llama.py). Prefill is GEMM-bound; decode is a stream of GEMVs, bound by reading every
 * weight once per token, which is why 16-bit weights matter there.
 */
import { float32ToF16 } from "../src/io/index.js";
import { parseLlamaConfig } from "../src/models/llama/config.js";
import { LlamaForCausalLM } from "../src/models/llama/model.js";
import { argmax } from "../src/models/llama/sampling.js";
import { type ParamSource, randomSource } from "../src/nn/index.js";
import { HalfTensor, Tensor, getBackend } from "../src/tensor/index.js";
import { emit, runPythonBaseline, torchUnavailable } from "./lib.js";

const CONFIG = {
  hidden_size: 768,
  intermediate_size: 2048,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  num_key_value_heads: 12,
  vocab_size: 32000,
  max_position_embeddings: 1024,
  rms_norm_eps: 1e-6,
  rope_theta: 10000,
  tie_word_embeddings: false,
};
const PREFILL = 512;
const PROMPT = 16;
const STEPS = 32;
const THREADS = [1, 2];

/** The random weights, with every matrix stored as f16 bits (norms stay float32, as loading does). */
function halfSource(base: ParamSource): ParamSource {
  return {
    weight: (key, shape, init) => {
      const w = base.weight(key, shape, init) as Tensor;
      const bits = new Uint16Array(w.size);
      float32ToF16(w.f32(), 0, bits);
      return new HalfTensor(bits, "f16", shape);
    },
    float32: base.float32,
  };
}

function ids(n: number, seed: number): Tensor {
  let s = seed;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = 3 + (s % (CONFIG.vocab_size - 3));
  }
  return new Tensor(out, [1, n]);
}

function seconds(fn: () => void): number {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** Best of `runs` after one warm-up (the least noisy estimate on a shared machine). */
function bestOf(runs: number, fn: () => number): number {
  fn();
  return Math.min(...Array.from({ length: runs }, fn));
}

function measure(lm: LlamaForCausalLM): { prefill: number; decode: number } {
  const long = ids(PREFILL, 1);
  const prefill = bestOf(2, () => seconds(() => lm.nextLogits({ inputIds: long, cache: lm.newCache(1) })));
  const prompt = ids(PROMPT, 2);
  const decode = bestOf(2, () => {
    const cache = lm.newCache(1);
    let logits = lm.nextLogits({ inputIds: prompt, cache });
    return seconds(() => {
      for (let i = 0; i < STEPS; i++) {
        const next = argmax(logits.f32());
        logits = lm.nextLogits({ inputIds: new Tensor(Int32Array.of(next), [1, 1]), cache });
      }
    });
  });
  return { prefill: PREFILL / prefill, decode: STEPS / decode };
}

export function benchLlama(): void {
  const config = parseLlamaConfig(CONFIG, "bench llama");
  const backend = getBackend();
  const ours = new Map<string, number>();
  for (const dtype of ["fp32", "fp16"] as const) {
    const lm = new LlamaForCausalLM(config, dtype === "fp16" ? halfSource(randomSource(0)) : randomSource(0));
    for (const threads of THREADS) {
      backend.setThreads(threads);
      const r = measure(lm);
      for (const phase of ["prefill", "decode"] as const) {
        ours.set(`${dtype}/${phase}/${threads}`, r[phase]);
        emit({ bench: "llama", backend: backend.name, dtype, threads, phase, tokens: phase === "prefill" ? PREFILL : STEPS, tokens_per_s: round(r[phase]) });
      }
    }
  }
  const missing = torchUnavailable();
  if (missing) return emit({ bench: "llama", backend: "pytorch", skipped: missing });
  for (const threads of THREADS) {
    const rows = runPythonBaseline("torch_llama.py", threads, { config: CONFIG, prefill: PREFILL, prompt: PROMPT, steps: STEPS, dtypes: ["fp32", "fp16", "bf16"] });
    for (const row of rows) {
      if (row.skipped) {
        emit({ ...row, skipped: String(row.skipped).slice(0, 120) });
        continue;
      }
      const tps = Number(row.tokens_per_s);
      // fp16 has no torch CPU kernel in 1.13: compare our fp16 with torch's bf16, its 16-bit path.
      const mine = ours.get(`${row.dtype === "bf16" ? "fp16" : row.dtype}/${row.phase}/${threads}`);
      emit({ ...row, tokens_per_s: round(tps), ...(mine ? { [`vlmkit_${row.dtype === "bf16" ? "fp16" : row.dtype}_over_torch`]: round(mine / tps) } : {}) });
    }
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
