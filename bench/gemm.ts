/**
 * GEMM throughput: native (1 and 2 threads) against js and PyTorch at the same thread count.
 * Cases: a square 1024^3 product, the ViT-B/32 token GEMM (50 tokens through a 768x768 Linear,
 * weights packed once as in inference) and a decode GEMV (1 token through 4096x4096).
 */
import { type Backend, type MatmulParams, backendNamed } from "../src/backend/index.js";
import { emit, randomArray, runPythonBaseline, secondsPerCall, torchUnavailable } from "./lib.js";

interface GemmCase {
  m: number;
  n: number;
  k: number;
  /** B as an nn.Linear weight [n, k]. */
  transB: boolean;
  /** Weights packed once and reused (the Linear path); false repacks B on every call. */
  cached: boolean;
}

const CASES: GemmCase[] = [
  { m: 1024, n: 1024, k: 1024, transB: false, cached: false },
  { m: 50, n: 768, k: 768, transB: true, cached: true },
  { m: 50, n: 768, k: 768, transB: true, cached: false },
  { m: 1, n: 4096, k: 4096, transB: true, cached: true },
  { m: 1, n: 4096, k: 4096, transB: true, cached: false },
];
const THREADS = [1, 2];
/** js is ~3 GFLOP/s: keep it to one thread and the cases that finish in a few seconds. */
const JS_MAX_FLOPS = 3e9;

function gflops(be: Backend, c: GemmCase): number {
  const a = randomArray(c.m * c.k, 1);
  const b = randomArray(c.k * c.n, 2);
  const out = new Float32Array(c.m * c.n);
  const key = {};
  const p: MatmulParams = {
    batch: 1, m: c.m, n: c.n, k: c.k, transA: false, transB: c.transB, strideA: 0, strideB: 0,
    ...(c.cached ? { cacheB: { key, version: 0 } } : {}),
  };
  const seconds = secondsPerCall(() => be.matmul(a, b, out, p), be.name === "js" ? 1 : 150);
  return (2 * c.m * c.n * c.k) / seconds / 1e9;
}

export function benchGemm(): void {
  let native: Backend | null = null;
  try {
    native = backendNamed("native");
  } catch (err) {
    emit({ bench: "gemm", backend: "native", skipped: (err as Error).message });
  }
  const results = new Map<string, number>();
  const id = (c: GemmCase, t: number) => `${c.m}x${c.n}x${c.k}/${c.cached}/${t}`;
  for (const c of CASES) {
    for (const threads of THREADS) {
      if (native) {
        native.setThreads(threads);
        const g = gflops(native, c);
        results.set(id(c, threads), g);
        emit({ bench: "gemm", ...c, threads, backend: "native", gflops: round(g) });
      }
      if (threads === 1 && 2 * c.m * c.n * c.k <= JS_MAX_FLOPS) {
        emit({ bench: "gemm", ...c, threads, backend: "js", gflops: round(gflops(backendNamed("js"), c)) });
      }
    }
  }
  native?.setThreads(Math.max(...THREADS));

  const why = torchUnavailable();
  if (why) {
    emit({ bench: "gemm", baseline: "pytorch", skipped: why });
    return;
  }
  // PyTorch has no packed-weight cache to switch off: it runs each shape once.
  const shapes = CASES.filter((c) => c.cached || !CASES.some((o) => o !== c && o.cached && o.m === c.m && o.n === c.n));
  for (const threads of THREADS) {
    let lines: Array<Record<string, unknown>>;
    try {
      lines = runPythonBaseline("torch_bench.py", threads, shapes.map(({ m, n, k, transB }) => ({ m, n, k, transB })));
    } catch (err) {
      emit({ bench: "gemm", baseline: "pytorch", threads, skipped: (err as Error).message });
      continue;
    }
    for (const line of lines) {
      const torch = line.gflops as number;
      emit({ bench: "gemm", ...line, gflops: round(torch) });
      for (const c of CASES.filter((o) => o.m === line.m && o.n === line.n && o.k === line.k)) {
        const mine = results.get(id(c, threads));
        if (mine !== undefined) {
          emit({ bench: "gemm", m: c.m, n: c.n, k: c.k, cached: c.cached, threads, ratio_vs_pytorch: round(mine / torch, 3) });
        }
      }
    }
  }
}

/** 16-bit weights (Backend.matmulHalfB) on the Linear cases: decode plus product, per call. */
export function benchGemmHalf(): void {
  let native: Backend | null = null;
  try {
    native = backendNamed("native");
  } catch (err) {
    emit({ bench: "gemm_half", backend: "native", skipped: (err as Error).message });
    return;
  }
  for (const c of CASES.filter((o) => o.transB && o.cached)) {
    const a = randomArray(c.m * c.k, 1);
    const bits = Uint16Array.from(randomArray(c.k * c.n, 2), (v) => 0x3c00 | Math.floor(Math.abs(v) * 1023));
    const out = new Float32Array(c.m * c.n);
    const p: MatmulParams = { batch: 1, m: c.m, n: c.n, k: c.k, transA: false, transB: true, strideA: 0, strideB: 0 };
    for (const threads of THREADS) {
      native.setThreads(threads);
      const seconds = secondsPerCall(() => native!.matmulHalfB(a, bits, "f16", out, p));
      emit({ bench: "gemm_half", kind: "f16", m: c.m, n: c.n, k: c.k, threads, backend: "native", gflops: round((2 * c.m * c.n * c.k) / seconds / 1e9) });
    }
  }
  native.setThreads(Math.max(...THREADS));
}

function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
