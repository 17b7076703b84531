/**
 * The fused kernels at ViT-B/32 sizes (batch 1: 50 tokens, width 768, 12 heads of 64, MLP 3072):
 * microseconds per call, native at 1 and 2 threads against js.
 */
import { type Backend, backendNamed } from "../src/backend/index.js";
import { emit, randomArray, secondsPerCall } from "./lib.js";

interface KernelCase {
  bench: string;
  shape: string;
  run: (be: Backend) => void;
}

function cases(): KernelCase[] {
  const tokens = 50;
  const width = 768;
  const heads = 12;
  const headDim = 64;
  const x = randomArray(tokens * width, 1);
  const xOut = new Float32Array(x.length);
  const w = randomArray(width, 2);
  const b = randomArray(width, 3);
  const mlp = randomArray(tokens * 3072, 4);
  const mlpOut = new Float32Array(mlp.length);
  const scores = randomArray(heads * tokens * tokens, 5);
  const scoresOut = new Float32Array(scores.length);
  const q = randomArray(heads * tokens * headDim, 6);
  const k = randomArray(heads * tokens * headDim, 7);
  const v = randomArray(heads * tokens * headDim, 8);
  const att = new Float32Array(q.length);
  return [
    { bench: "layerNorm", shape: `${tokens}x${width}`, run: (be) => be.layerNorm(x, w, b, xOut, tokens, width, 1e-5) },
    { bench: "rmsNorm", shape: `${tokens}x${width}`, run: (be) => be.rmsNorm(x, w, xOut, tokens, width, 1e-6) },
    { bench: "softmax", shape: `${heads * tokens}x${tokens}`, run: (be) => be.softmax(scores, scoresOut, heads * tokens, tokens) },
    { bench: "gelu", shape: `${tokens}x3072`, run: (be) => be.gelu(mlp, mlpOut) },
    { bench: "geluTanh", shape: `${tokens}x3072`, run: (be) => be.geluTanh(mlp, mlpOut) },
    { bench: "quickGelu", shape: `${tokens}x3072`, run: (be) => be.quickGelu(mlp, mlpOut) },
    { bench: "silu", shape: `${tokens}x3072`, run: (be) => be.silu(mlp, mlpOut) },
    {
      bench: "attention",
      shape: `1x${heads}x${tokens}x${tokens}x${headDim}`,
      run: (be) =>
        be.attention(q, k, v, att, {
          batch: 1, heads, kvHeads: heads, lq: tokens, lk: tokens, headDim, scale: 1 / Math.sqrt(headDim), causal: false,
        }),
    },
  ];
}

export function benchKernels(): void {
  let native: Backend | null = null;
  try {
    native = backendNamed("native");
  } catch (err) {
    emit({ bench: "kernels", backend: "native", skipped: (err as Error).message });
  }
  const js = backendNamed("js");
  for (const c of cases()) {
    const jsUs = secondsPerCall(() => c.run(js), 50) * 1e6;
    emit({ bench: c.bench, shape: c.shape, threads: 1, backend: "js", us: Math.round(jsUs * 10) / 10 });
    if (!native) continue;
    for (const threads of [1, 2]) {
      native.setThreads(threads);
      const us = secondsPerCall(() => c.run(native!), 50) * 1e6;
      emit({ bench: c.bench, shape: c.shape, threads, backend: "native", us: Math.round(us * 10) / 10, speedup_vs_js: Math.round((jsUs / us) * 10) / 10 });
    }
  }
}
