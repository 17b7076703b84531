/**
 * One CLIP training step (forward, backward, gradient clipping, AdamW, temperature clamp) of the
 * shipped model's architecture (models/icons-clip/config.json, freshly initialised) at batch
 * BENCH_CLIP_BATCH (default 128), as `vlm train clip` runs it: images/s for vlmkit and for
 * PyTorch on the same architecture and threads (bench/baselines/torch_clip_train.py).
 * A step takes seconds, so the timing is the best of BENCH_CLIP_STEPS (default 3) after one
 * warm-up step rather than secondsPerCall's batches.
 */
import { l2Normalize, CLIPModel } from "../src/models/clip/model.js";
import { clipContrastiveLoss } from "../src/models/clip/loss.js";
import { clipGradNorm } from "../src/optim/index.js";
import { getBackend, manualSeed, randn, tensor } from "../src/tensor/index.js";
import { fileURLToPath } from "node:url";
import { resolveModelConfig } from "../src/train/clip/presets.js";
import { buildOptimizer } from "../src/train/schedule.js";
import { clampLogitScale } from "../src/train/clip/step.js";
import { countFromEnv, emit, runPythonBaseline, torchUnavailable } from "./lib.js";

const CONFIG = fileURLToPath(new URL("../models/icons-clip/config.json", import.meta.url));
const PRESET = "models/icons-clip";

function round(x: number, digits = 1): number {
  return Number(x.toFixed(digits));
}

export function benchClipTrain(): void {
  const steps = countFromEnv("BENCH_CLIP_STEPS", 3);
  const batch = countFromEnv("BENCH_CLIP_BATCH", 128);
  const config = resolveModelConfig(CONFIG);
  manualSeed(0);
  const model = new CLIPModel(config).train();
  const { optimizer, params } = buildOptimizer(model, { lr: 5e-4, weightDecay: 0.1, betas: [0.9, 0.98], eps: 1e-6, warmupSteps: 0, totalSteps: 1000, minLrRatio: 0 });
  const size = config.vision_config.image_size;
  const length = config.text_config.max_position_embeddings;
  const pixels = randn([batch, 3, size, size]);
  const ids = new Int32Array(batch * length).fill(config.text_config.eos_token_id);
  for (let i = 0; i < batch; i++) {
    ids[i * length] = config.text_config.bos_token_id;
    for (let j = 1; j < 9; j++) ids[i * length + j] = 300 + ((i * 7919 + j * 104729) % 39700);
  }
  const inputIds = tensor(Array.from(ids), { dtype: "int32", shape: [batch, length] });
  const step = (): void => {
    const loss = clipContrastiveLoss(l2Normalize(model.encodeImage(pixels)), l2Normalize(model.encodeText(inputIds)), model.logit_scale);
    optimizer.zeroGrad();
    loss.backward();
    clipGradNorm(params, 1);
    optimizer.step();
    clampLogitScale(model);
  };
  step();
  let best = Infinity;
  for (let i = 0; i < steps; i++) {
    const start = performance.now();
    step();
    best = Math.min(best, (performance.now() - start) / 1000);
  }
  const backend = getBackend();
  const threads = backend.threads();
  const parameters = model.numParameters();
  emit({ bench: "clip_train", preset: PRESET, batch, parameters, backend: backend.name, threads, seconds_per_step: round(best, 3), images_per_second: round(batch / best) });

  const why = torchUnavailable();
  if (why) {
    emit({ bench: "clip_train", baseline: "pytorch", skipped: why });
    return;
  }
  try {
    const [torch] = runPythonBaseline("torch_clip_train.py", threads, { config, batch, steps });
    const seconds = torch.seconds_per_step as number;
    emit({ bench: "clip_train", baseline: "pytorch", torch: torch.torch, preset: PRESET, batch, threads, seconds_per_step: round(seconds, 3), images_per_second: round(batch / seconds), ratio_vs_pytorch: round(seconds / best, 3) });
  } catch (err) {
    emit({ bench: "clip_train", baseline: "pytorch", skipped: (err as Error).message });
  }
}
