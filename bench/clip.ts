/**
 * CLIP ViT-B/32 embeddings (HF `get_image_features` / `get_text_features`), inference: batch 1
 * latency (ms) and batch 32 throughput (images/s, texts/s) for the native backend at 1 and 2
 * threads, against PyTorch on the same shapes (bench/baselines/torch_clip.py) in the same run.
 *
 * The model is what a user loads: random weights written as safetensors with a config.json
 * into bench/out/clip-b32-random/ (git-ignored, written once) and read back with
 * CLIPModel.fromPretrained. Texts are full 77-token contexts. Ends with ratio lines (our time /
 * PyTorch's; < 1 is faster).
 * BENCH_ROUNDS=n repeats the comparison and keeps each contender's best.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { saveSafetensors } from "../src/io/index.js";
import { parseCLIPConfig } from "../src/models/clip/config.js";
import { CLIPModel } from "../src/models/clip/model.js";
import { Tensor, manualSeed, noGrad, randn, setBackend } from "../src/tensor/index.js";
import { countFromEnv, emit, runPythonBaseline, secondsPerCall, torchUnavailable } from "./lib.js";

const THREADS = [1, 2];
const BATCHES = [1, 32];
/** Single timed calls of a batch-32 forward (seconds each) after one warm-up: keep the best. */
const BIG_REPS = 3;
/** openai/clip-vit-base-patch32's shape: the HF defaults, spelled out for the baseline. */
const CONFIG = {
  projection_dim: 512,
  vision_config: {
    image_size: 224, patch_size: 32, hidden_size: 768, intermediate_size: 3072, num_attention_heads: 12,
    num_hidden_layers: 12, hidden_act: "quick_gelu", layer_norm_eps: 1e-5,
  },
  text_config: {
    hidden_size: 512, intermediate_size: 2048, num_attention_heads: 8, num_hidden_layers: 12,
    max_position_embeddings: 77, vocab_size: 49408, hidden_act: "quick_gelu", layer_norm_eps: 1e-5,
    eos_token_id: 49407,
  },
};
const FOLDER = fileURLToPath(new URL("./out/clip-b32-random/", import.meta.url));

type Tower = "image" | "text";
const round = (x: number) => Math.round(x * 100) / 100;

/** Writes config.json + model.safetensors (random init) unless the same config is there. */
function ensureModelFolder(): void {
  const configFile = join(FOLDER, "config.json");
  const text = JSON.stringify(CONFIG, null, 2);
  if (existsSync(configFile) && existsSync(join(FOLDER, "model.safetensors")) && readFileSync(configFile, "utf8") === text) return;
  mkdirSync(FOLDER, { recursive: true });
  manualSeed(0);
  const model = new CLIPModel(parseCLIPConfig(CONFIG));
  saveSafetensors(join(FOLDER, "model.safetensors"), model.stateDict(), { metadata: { format: "pt" } });
  writeFileSync(configFile, text);
}

function inputs(tower: Tower, batch: number): Tensor {
  if (tower === "image") return randn([batch, 3, 224, 224]);
  const l = CONFIG.text_config.max_position_embeddings;
  const eos = CONFIG.text_config.eos_token_id;
  const ids = new Int32Array(batch * l);
  let s = 7;
  for (let i = 0; i < ids.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    ids[i] = i % l === l - 1 ? eos : s % (eos - 1);
  }
  return new Tensor(ids, [batch, l]);
}

/** Milliseconds per call: the lib.ts rule for batch 1, the best of BIG_REPS single calls else. */
function timeMs(fn: () => void, batch: number): number {
  if (batch === 1) return secondsPerCall(fn) * 1e3;
  fn();
  let best = Infinity;
  for (let r = 0; r < BIG_REPS; r++) {
    const start = process.hrtime.bigint();
    fn();
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e6);
  }
  return best;
}

export async function benchClip(): Promise<void> {
  const rounds = countFromEnv("BENCH_ROUNDS", 1);
  try {
    setBackend("native");
  } catch (err) {
    emit({ bench: "clip", backend: "native", skipped: (err as Error).message });
    return;
  }
  ensureModelFolder();
  const model = await CLIPModel.fromPretrained(FOLDER);
  const torchWhy = torchUnavailable();
  if (torchWhy) emit({ bench: "clip", baseline: "pytorch", skipped: torchWhy });

  const cases = (["image", "text"] as const).flatMap((tower) => BATCHES.map((batch) => ({ tower, batch })));
  const data = new Map(cases.map((c) => [`${c.tower}/${c.batch}`, inputs(c.tower, c.batch)]));
  const best = new Map<string, number>();
  const keep = (key: string, ms: number) => best.set(key, Math.min(ms, best.get(key) ?? Infinity));
  for (let r = 0; r < rounds; r++) {
    for (const threads of THREADS) {
      setBackend("native").setThreads(threads);
      for (const { tower, batch } of cases) {
        const x = data.get(`${tower}/${batch}`)!;
        const fn = tower === "image" ? () => void noGrad(() => model.encodeImage(x)) : () => void noGrad(() => model.encodeText(x));
        keep(`native/${tower}/${batch}/${threads}`, timeMs(fn, batch));
      }
      if (torchWhy) continue;
      try {
        const lines = runPythonBaseline("torch_clip.py", threads, {
          config: CONFIG, cases: cases.map((c) => ({ ...c, reps: c.batch === 1 ? 0 : BIG_REPS })),
        });
        for (const l of lines) keep(`pytorch/${l.tower}/${l.batch}/${threads}`, l.ms as number);
      } catch (err) {
        emit({ bench: "clip", baseline: "pytorch", threads, error: (err as Error).message });
      }
    }
  }
  setBackend("native").setThreads(Math.max(...THREADS));

  for (const [key, ms] of best) {
    const [backend, tower, b, threads] = key.split("/");
    const batch = Number(b);
    const bench = `clip-${tower}-embed`;
    const rate = tower === "image" ? "images_per_s" : "texts_per_s";
    const value = batch === 1 ? { ms: round(ms) } : { [rate]: round((batch * 1000) / ms), ms: round(ms) };
    emit({ bench, batch, threads: Number(threads), backend, ...value, ...(rounds > 1 ? { rounds } : {}) });
  }
  for (const { tower, batch } of cases) {
    for (const threads of THREADS) {
      const ours = best.get(`native/${tower}/${batch}/${threads}`);
      const theirs = best.get(`pytorch/${tower}/${batch}/${threads}`);
      if (ours !== undefined && theirs !== undefined) {
        emit({ bench: `clip-${tower}-embed`, batch, threads, ratio: "ours/pytorch", value: round(ours / theirs) });
      }
    }
  }
}
