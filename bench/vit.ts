/**
 * ViT-B/32 forward, batch 1, inference (224 px, patch 32, width 768, 12 layers of 12 heads,
 * MLP 3072, QuickGELU as CLIP's image tower; random weights): milliseconds per image for the
 * native backend at 1 and 2 threads, against PyTorch (bench/baselines/torch_vit.py, the same
 * architecture) and onnxruntime-node (that torch model exported to ONNX into bench/out/) at the
 * same thread counts, in the same run. Ends with ratio lines (ours / baseline; < 1 is faster).
 *
 * BENCH_ROUNDS=n repeats the whole comparison n times and keeps each contender's best (the
 * machine is shared: the minimum is the least noisy estimate). BENCH_JS=1 adds the js backend.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseViTConfig } from "../src/models/vit/config.js";
import { VisionTransformer } from "../src/models/vit/model.js";
import { getBackend, manualSeed, noGrad, randn, setBackend } from "../src/tensor/index.js";
import { countFromEnv, emit, runPythonBaseline, secondsPerCall, torchUnavailable } from "./lib.js";

const BENCH = "vit-b32-forward";
const THREADS = [1, 2];
const BATCH = 1;
/** ViT-B/32: the parseViTConfig defaults, spelled out so the baselines get the same shape. */
const CONFIG = {
  image_size: 224, patch_size: 32, hidden_size: 768, intermediate_size: 3072, num_attention_heads: 12,
  num_hidden_layers: 12, num_channels: 3, hidden_act: "quick_gelu", layer_norm_eps: 1e-5,
} as const;

const OUT_DIR = fileURLToPath(new URL("./out/", import.meta.url));
const ONNX_FILE = `${OUT_DIR}vit-b32.onnx`;

const round = (x: number) => Math.round(x * 100) / 100;

/** Exports the torch model to bench/out/vit-b32.onnx once (a dev artefact, git-ignored). */
function ensureOnnx(): string | null {
  if (existsSync(ONNX_FILE)) return null;
  const why = torchUnavailable();
  if (why) return `no ONNX model: torch.onnx.export needs torch (${why})`;
  mkdirSync(OUT_DIR, { recursive: true });
  try {
    runPythonBaseline("torch_vit.py", 1, { config: CONFIG, batch: BATCH, export: ONNX_FILE });
  } catch (err) {
    return (err as Error).message;
  }
  return null;
}

function onnxruntimeMs(threads: number): number {
  const script = fileURLToPath(new URL("./baselines/ort_bench.mjs", import.meta.url));
  const run = spawnSync(process.execPath, [script], {
    input: JSON.stringify({ model: ONNX_FILE, threads, inputs: { pixel_values: [BATCH, 3, CONFIG.image_size, CONFIG.image_size] } }),
    encoding: "utf8",
  });
  if (run.status !== 0) throw new Error(`ort_bench.mjs failed: ${run.stderr.trim().split("\n").pop()}`);
  return (JSON.parse(run.stdout.trim().split("\n").pop()!) as { ms: number }).ms;
}

export function benchVit(): void {
  const rounds = countFromEnv("BENCH_ROUNDS", 1);
  let native = true;
  try {
    setBackend("native");
  } catch (err) {
    native = false;
    emit({ bench: BENCH, backend: "native", skipped: (err as Error).message });
  }
  manualSeed(0);
  const model = new VisionTransformer(parseViTConfig(CONFIG)).eval();
  const pixels = randn([BATCH, 3, CONFIG.image_size, CONFIG.image_size]);
  const forward = () => void noGrad(() => model.forward(pixels));

  const torchWhy = torchUnavailable();
  if (torchWhy) emit({ bench: BENCH, baseline: "pytorch", skipped: torchWhy });
  const onnxWhy = ensureOnnx();
  if (onnxWhy) emit({ bench: BENCH, baseline: "onnxruntime", skipped: onnxWhy });

  const best = new Map<string, number>();
  const keep = (key: string, ms: number) => best.set(key, Math.min(ms, best.get(key) ?? Infinity));
  for (let r = 0; r < rounds; r++) {
    for (const threads of THREADS) {
      if (native) {
        setBackend("native").setThreads(threads);
        keep(`native/${threads}`, secondsPerCall(forward) * 1e3);
      }
      if (!torchWhy) {
        try {
          keep(`pytorch/${threads}`, runPythonBaseline("torch_vit.py", threads, { config: CONFIG, batch: BATCH })[0].ms as number);
        } catch (err) {
          emit({ bench: BENCH, baseline: "pytorch", threads, error: (err as Error).message });
        }
      }
      if (!onnxWhy) {
        try {
          keep(`onnxruntime/${threads}`, onnxruntimeMs(threads));
        } catch (err) {
          emit({ bench: BENCH, baseline: "onnxruntime", threads, error: (err as Error).message });
        }
      }
    }
  }
  if (process.env.BENCH_JS === "1") {
    setBackend("js");
    keep("js/1", secondsPerCall(forward, 1) * 1e3);
  }
  if (native) setBackend("native").setThreads(Math.max(...THREADS));
  else getBackend();

  for (const [key, ms] of best) {
    const [backend, threads] = key.split("/");
    emit({ bench: BENCH, batch: BATCH, threads: Number(threads), backend, ms: round(ms), ...(rounds > 1 ? { rounds } : {}) });
  }
  for (const threads of THREADS) {
    const ours = best.get(`native/${threads}`);
    if (ours === undefined) continue;
    for (const baseline of ["pytorch", "onnxruntime"]) {
      const theirs = best.get(`${baseline}/${threads}`);
      if (theirs !== undefined) emit({ bench: BENCH, threads, ratio: `ours/${baseline}`, value: round(ours / theirs) });
    }
  }
}
