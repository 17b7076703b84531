/**
 * `vlm train clip`: CLIP trained from scratch or fine-tuned on image-caption pairs. Opening the
 * run (resume, fingerprint, the model and its tokenizer/preprocessor files) is here; the step
 * is step.ts; the loop, checkpoints, metrics and curves are the shared ones (../loop.ts).
 *
 * Batches come from the loader (random resized crop at the model's size, decoded in worker
 * threads, a batch of one dropped), captions are tokenized to the model's context, AdamW runs
 * on a cosine schedule with the learned temperature clamped after every step, and the
 * held-out evaluation (zero-shot accuracy, retrieval) runs every epoch.
 */
import { mkdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import type { ImageTextDataset } from "../../data/dataset.js";
import { type ImageTextBatch, ImageTextLoader } from "../../data/loader.js";
import { openImageTextData } from "../../data/open.js";
import { CLIPImageProcessor } from "../../image/index.js";
import { noGrad } from "../../tensor/index.js";
import { CLIPTokenizer } from "../../tokenizers/clip/index.js";
import { type Trainer, train } from "../loop.js";
import { fingerprint } from "../options.js";
import type { TrainCallbacks } from "../progress.js";
import { openRun, writeRunRecord } from "../run.js";
import { buildOptimizer, planSteps } from "../schedule.js";
import { clipCurvePanels } from "./curves.js";
import { type ClipStepMetrics, type EvalRow, evaluate, loadEvalData } from "./evaluate.js";
import { prepareModelFiles } from "./model-files.js";
import { saveClipModel } from "./model-folder.js";
import { CLIP_FINGERPRINT_KEYS, type TrainClipInput, type TrainClipOptions, parseTrainClipOptions, peakLr } from "./options.js";
import { applyTrainableParts, buildModel } from "./setup.js";
import { clampLogitScale, contrastiveLoss } from "./step.js";

export interface TrainClipResult {
  runDir: string;
  /** The final model folder (runs/NAME/final). */
  finalDir: string;
  steps: number;
  /** Loss of the last step taken by this process. */
  finalLoss: number;
  lastEval: EvalRow | null;
  /** Undecodable samples skipped over the whole run. */
  skipped: number;
  seconds: number;
  /** Training throughput of this process (resumed runs count only their own steps). */
  imagesPerSecond: number;
  resumedFrom: number | null;
}

export type TrainClipCallbacks = TrainCallbacks<EvalRow, ClipStepMetrics>;

function openTrainData(o: TrainClipOptions): Promise<ImageTextDataset> {
  return openImageTextData(o.data, {
    imageKey: o.imageKey, captionKey: o.captionKey, where: o.split ? { [o.splitKey]: o.split } : undefined,
    ...(o.labelPositives && { labelKey: o.labelKey }),
  });
}

/**
 * Trains (or fine-tunes) CLIP on image-caption pairs and writes runs/NAME/: checkpoints/,
 * final/, metrics.jsonl, curves.{png,svg,html}, run.json. Progress comes through `callbacks`.
 *
 * @example
 * const r = await trainClip(
 *   { data: "data/icons/manifest.jsonl", split: "train", evalSplit: "val", modelConfig: "icons-tiny", out: "runs/icons", epochs: 5 },
 *   { onStep: (s) => console.log(s.step, s.loss) },
 * );
 * r.lastEval?.top1;
 */
export async function trainClip(input: TrainClipInput, callbacks: TrainClipCallbacks = {}): Promise<TrainClipResult> {
  const o = parseTrainClipOptions(input);
  const print = fingerprint(o, CLIP_FINGERPRINT_KEYS);
  const run = openRun(o, print);
  const data = await openTrainData(o);
  const plan = planSteps(data.kind === "indexed" ? data.size : null, o, o.data);

  const { model, initFolder } = await buildModel(o, run.resumed?.dir ?? null);
  model.train();
  applyTrainableParts(model, o);
  const { vision_config: vision, text_config: text } = model.config;
  mkdirSync(run.dir, { recursive: true });
  // The tokenizer and preprocessor files every checkpoint carries, prepared once per run.
  const filesDir = join(run.dir, "model-files");
  if (!run.resumed || !existsSync(filesDir)) {
    await prepareModelFiles(filesDir, { initFolder, tokenizer: o.tokenizer, imageSize: vision.image_size, contextLength: text.max_position_embeddings });
  }
  const tokenizer = await CLIPTokenizer.fromPretrained(filesDir);
  const processor = await CLIPImageProcessor.fromPretrained(filesDir);
  const evalData = o.evalData || o.evalSplit ? await loadEvalData(o) : null;

  const { optimizer, scheduler, params } = buildOptimizer(model, { ...o, lr: peakLr(o), ...plan });
  if (!run.resumed) writeRunRecord(run, { options: o, ...plan, parameters: model.numParameters({ trainableOnly: true }) });
  const loader = new ImageTextLoader(data, {
    batchSize: o.batchSize,
    seed: o.seed,
    transform: {
      name: "random-resized-crop", size: vision.image_size, scale: o.cropScale,
      ...(o.blur > 0 && { blur: { probability: o.blur, sigma: o.blurSigma } }),
    },
    // A batch of one has nothing to contrast against.
    dropLast: true,
    ...(o.workers && { workers: o.workers }),
    onSkip: (s) => callbacks.onSkip?.(s),
  });

  const trainer: Trainer<ImageTextBatch, EvalRow, ClipStepMetrics> = {
    title: `CLIP ${o.init ?? o.modelConfig ?? "icons-tiny"} on ${o.data}${o.split ? ` (${o.split})` : ""}`,
    unit: "images",
    loss: (batch) => contrastiveLoss(model, tokenizer, batch, o.labelPositives),
    samples: (batch) => batch.keys.length,
    afterUpdate: () => clampLogitScale(model),
    stepMetrics: () => {
      const scale = noGrad(() => Math.exp(model.logit_scale.item()));
      return { logitScale: scale, temperature: 1 / scale };
    },
    ...(evalData && { evaluate: (at) => evaluate({ model, tokenizer, processor }, evalData, { ...at, workers: o.workers }) }),
    curvePanels: clipCurvePanels,
    saveModel: (dir) => saveClipModel(dir, model, filesDir),
  };
  try {
    const { samplesPerSecond, resumedFrom, ...result } = await train(
      { run, model, optimizer, scheduler, params, data: loader, dataName: o.data, plan: { ...o, ...plan }, fingerprint: print },
      trainer,
      callbacks,
    );
    return { ...result, imagesPerSecond: samplesPerSecond, resumedFrom };
  } finally {
    await loader.close();
  }
}
