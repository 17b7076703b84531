/**
 * The CLIP training loop: seeded batches from the loader (random resized crop at the model's
 * size, decoded in workers), captions tokenized to the model's context, symmetric InfoNCE on
 * L2-normalised embeddings, gradient accumulation, clipping by global norm, AdamW on a cosine
 * schedule, the learned temperature clamped to [0, ln 100] after every step; checkpoints,
 * metrics, curves and a held-out evaluation every epoch.
 *
 * Resuming is exact: the weights, the optimizer moments, the schedule, the default generator
 * and the loader position all come back from the checkpoint, and every sample's augmentation
 * is seeded by (seed, epoch, index), so a resumed run computes the same steps bit for bit.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { ArgumentError } from "../../errors.js";
import type { ImageTextDataset, SkippedSample } from "../../data/dataset.js";
import { ImageTextLoader, type LoaderPosition } from "../../data/loader.js";
import { openImageTextData } from "../../data/open.js";
import { CLIPImageProcessor } from "../../image/index.js";
import { openModelSource } from "../../io/index.js";
import { MAX_LOGIT_SCALE, clipContrastiveLoss } from "../../models/clip/loss.js";
import { CLIPModel, l2Normalize } from "../../models/clip/model.js";
import { clipGradNorm } from "../../optim/index.js";
import { tokenizeBatch } from "../../pipelines/zero-shot.js";
import { Generator, defaultGenerator, manualSeed, mul, noGrad } from "../../tensor/index.js";
import { CLIPTokenizer } from "../../tokenizers/clip/index.js";
import { writeCurves } from "../plot.js";
import {
  type TrainerState, checkpointName, generatorStateFromJson, generatorStateToJson, listCheckpoints, pruneCheckpoints,
  readTrainerState, removeIncompleteCheckpoints, writeModelFolder,
} from "./checkpoint.js";
import { clipCurvePanels } from "./curves.js";
import { type EvalData, evaluate, loadEvalData } from "./evaluate.js";
import { type EvalRow, MetricsLog } from "./metrics.js";
import { prepareModelFiles } from "./model-files.js";
import { type TrainClipInput, type TrainClipOptions, parseTrainClipOptions, peakLr } from "./options.js";
import { resolveModelConfig } from "./presets.js";
import { TrainProgress } from "./progress.js";
import { applyTrainableParts, buildOptimizer, initClipWeights } from "./setup.js";

export interface TrainClipResult {
  runDir: string;
  /** The final model folder (runs/NAME/final). */
  finalDir: string;
  steps: number;
  /** Mean loss of the last logged window. */
  finalLoss: number;
  lastEval: EvalRow | null;
  /** Undecodable samples skipped over the whole run. */
  skipped: number;
  /** Training throughput of this process (resumed runs count only their own steps). */
  imagesPerSecond: number;
  seconds: number;
  resumedFrom: number | null;
}

export interface TrainClipHooks {
  /** Called after every optimizer step (tests, custom logging). */
  onStep?: (step: number, loss: number) => void;
}

/** Options that shape the trajectory: a run resumed with different ones would not be the same run. */
const FINGERPRINT_KEYS = [
  "data", "split", "splitKey", "imageKey", "captionKey", "labelPositives", "modelConfig", "init", "freeze", "train", "epochs", "steps", "batchSize",
  "lr", "weightDecay", "warmup", "minLrRatio", "gradAccum", "maxGradNorm", "betas", "eps", "cropScale", "blur", "blurSigma", "seed",
] as const satisfies ReadonlyArray<keyof TrainClipOptions>;

function fingerprint(o: TrainClipOptions): Record<string, unknown> {
  return Object.fromEntries(FINGERPRINT_KEYS.map((k) => [k, o[k] ?? null]));
}

function checkSameRun(saved: Record<string, unknown>, now: Record<string, unknown>, dir: string): void {
  const differ = FINGERPRINT_KEYS.filter((k) => JSON.stringify(saved[k] ?? null) !== JSON.stringify(now[k] ?? null));
  if (differ.length > 0) {
    const list = differ.map((k) => `${k}: ${JSON.stringify(saved[k] ?? null)} -> ${JSON.stringify(now[k] ?? null)}`).join(", ");
    throw new ArgumentError(`--resume from ${dir} with different options (${list}); resume with the options the run started with`);
  }
}

/** Keeps logit_scale in [0, ln 100] (CLIP paper, section 2.5), writing the parameter in place. */
export function clampLogitScale(model: CLIPModel): void {
  const data = model.logit_scale.f32("clamp");
  const clamped = Math.min(Math.max(data[0], 0), Math.fround(MAX_LOGIT_SCALE));
  if (clamped !== data[0]) {
    data[0] = clamped;
    // Weights are cached in packed form by the backend; in-place writes must say so.
    model.logit_scale.markChanged();
  }
}

async function buildModel(o: TrainClipOptions, resumeDir: string | null): Promise<{ model: CLIPModel; initFolder?: string }> {
  manualSeed(o.seed);
  if (resumeDir) return { model: await CLIPModel.fromPretrained(resumeDir) };
  if (o.init) {
    const source = await openModelSource(o.init);
    return { model: CLIPModel.fromSource(source), initFolder: source.folder };
  }
  const model = new CLIPModel(resolveModelConfig(o.modelConfig ?? "icons-tiny"));
  initClipWeights(model, new Generator(o.seed));
  return { model };
}

/** Optimizer steps per epoch when the dataset's length is known (skipped images aside). */
function stepsPerEpoch(data: ImageTextDataset, o: TrainClipOptions): number | null {
  if (data.kind !== "indexed") return null;
  return Math.floor(Math.floor(data.size / o.batchSize) / o.gradAccum);
}

/**
 * Trains (or fine-tunes) CLIP on image-caption pairs and writes runs/NAME/: checkpoints/,
 * final/, metrics.jsonl, curves.{png,svg,html}, run.json.
 *
 * @example
 * const r = await trainClip({
 *   data: "data/icons/manifest.jsonl", split: "train", evalSplit: "val",
 *   modelConfig: "icons-tiny", out: "runs/icons", epochs: 5, batchSize: 64,
 * });
 * r.lastEval?.top1;
 */
export async function trainClip(input: TrainClipInput, hooks: TrainClipHooks = {}): Promise<TrainClipResult> {
  const o = parseTrainClipOptions(input);
  const runDir = resolve(o.out);
  const checkpointsDir = join(runDir, "checkpoints");
  const finalDir = join(runDir, "final");
  const filesDir = join(runDir, "model-files");

  removeIncompleteCheckpoints(checkpointsDir);
  const latest = listCheckpoints(checkpointsDir).at(-1) ?? null;
  if (o.resume && !latest) throw new ArgumentError(`--resume: no complete checkpoint in ${checkpointsDir}`);
  if (!o.resume && (latest || existsSync(finalDir))) {
    throw new ArgumentError(`${runDir} already holds a run; pass --resume to continue it, or choose another --out`);
  }
  const resumed = latest && o.resume ? readTrainerState(latest.dir) : null;
  if (resumed) checkSameRun(resumed.state.fingerprint, fingerprint(o), latest!.dir);

  const train = await openImageTextData(o.data, {
    imageKey: o.imageKey, captionKey: o.captionKey, where: o.split ? { [o.splitKey]: o.split } : undefined,
    ...(o.labelPositives && { labelKey: o.labelKey }),
  });
  const perEpoch = stepsPerEpoch(train, o);
  if (perEpoch === null && !o.steps) throw new ArgumentError("WebDataset shards have no known length: pass --steps");
  if (perEpoch === 0) {
    const size = (train as { size: number }).size;
    throw new ArgumentError(`${o.data}: ${size} samples make no optimizer step of ${o.batchSize} x ${o.gradAccum} (batch size x gradient accumulation)`);
  }
  const totalSteps = Math.min(perEpoch === null ? Infinity : perEpoch * o.epochs, o.steps ?? Infinity);
  const warmupSteps = Math.min(o.warmup ?? Math.round(0.05 * totalSteps), totalSteps);

  const { model, initFolder } = await buildModel(o, resumed ? latest!.dir : null);
  model.train();
  applyTrainableParts(model, o);
  const { vision_config: vision, text_config: text } = model.config;
  mkdirSync(runDir, { recursive: true });
  if (!resumed || !existsSync(filesDir)) {
    await prepareModelFiles(filesDir, { initFolder, tokenizer: o.tokenizer, imageSize: vision.image_size, contextLength: text.max_position_embeddings });
  }
  const tokenizer = await CLIPTokenizer.fromPretrained(filesDir);
  const processor = await CLIPImageProcessor.fromPretrained(filesDir);
  const evalData: EvalData | null = o.evalData || o.evalSplit ? await loadEvalData(o) : null;

  const { optimizer, scheduler, params } = buildOptimizer(model, {
    lr: peakLr(o), weightDecay: o.weightDecay, betas: o.betas, eps: o.eps, warmupSteps, totalSteps, minLrRatio: o.minLrRatio,
  });
  let step = 0;
  let position: LoaderPosition = { epoch: 0, index: 0 };
  let samplesSeen = 0;
  let skippedBefore = 0;
  let elapsedBefore = 0;
  if (resumed) {
    optimizer.loadStateDict(resumed.optimizer);
    scheduler.loadStateDict(resumed.state.scheduler);
    defaultGenerator.setState(generatorStateFromJson(resumed.state.generator));
    ({ step, position, samplesSeen } = resumed.state);
    skippedBefore = resumed.state.skipped;
    elapsedBefore = resumed.state.elapsedSeconds;
  } else {
    writeFileSync(join(runDir, "run.json"), `${JSON.stringify({ options: o, totalSteps, warmupSteps, parameters: model.numParameters({ trainableOnly: true }) }, null, 2)}\n`);
  }
  const metrics = new MetricsLog(join(runDir, "metrics.jsonl"), resumed ? step : null);

  const progress = new TrainProgress(totalSteps, step, { enabled: o.progress ?? process.stderr.isTTY === true, logEvery: o.logEvery });
  const loader = new ImageTextLoader(train, {
    batchSize: o.batchSize,
    seed: o.seed,
    transform: {
      name: "random-resized-crop", size: vision.image_size, scale: o.cropScale,
      ...(o.blur > 0 && { blur: { probability: o.blur, sigma: o.blurSigma } }),
    },
    // A batch of one has nothing to contrast against.
    dropLast: true,
    ...(o.workers && { workers: o.workers }),
    onSkip: (s: SkippedSample) => progress.log(`[data] skipped ${s.key} (${s.reason}): ${s.message}`),
  });
  const skipped = () => skippedBefore + loader.stats.skipped;

  const startedAt = performance.now();
  const startStep = step;
  let lastEval: EvalRow | null = null;
  let window = { loss: 0, steps: 0, images: 0, seconds: 0, gradNorm: 0 };
  let lastLoss = NaN;

  const save = (): void => {
    const state: Omit<TrainerState, "optimizer"> = {
      version: 1, step, totalSteps, position, samplesSeen, skipped: skipped(),
      scheduler: scheduler.stateDict(),
      generator: generatorStateToJson(defaultGenerator.getState()),
      elapsedSeconds: elapsedBefore + (performance.now() - startedAt) / 1000,
      fingerprint: fingerprint(o),
    };
    writeModelFolder(join(checkpointsDir, checkpointName(step)), model, filesDir, { optimizer, state });
    pruneCheckpoints(checkpointsDir, o.keep);
  };
  const runEval = async (epoch: number): Promise<void> => {
    if (!evalData) return;
    model.eval();
    lastEval = await evaluate({ model, tokenizer, processor }, evalData, { step, epoch, workers: o.workers });
    model.train();
    metrics.append(lastEval);
    const zs = lastEval.top1 === undefined ? "" : `zero-shot top-1 ${(lastEval.top1 * 100).toFixed(1)}%, top-5 ${(lastEval.top5! * 100).toFixed(1)}%; `;
    progress.log(`[eval] epoch ${epoch} step ${step}: ${zs}text->image R@1 ${(lastEval.textToImageR1 * 100).toFixed(1)}% R@10 ${(lastEval.textToImageR10 * 100).toFixed(1)}% (${lastEval.images} images)`);
  };
  const title = `CLIP ${o.init ?? o.modelConfig ?? "icons-tiny"} on ${o.data}${o.split ? ` (${o.split})` : ""}`;

  try {
    for (let epoch = position.epoch; step < totalSteps; epoch++) {
      let micro = 0;
      let stepLoss = 0;
      let stepImages = 0;
      let stepStart = performance.now();
      const from = epoch === position.epoch ? position.index : 0;
      for await (const batch of loader.epoch(epoch, { from })) {
        const ids = tokenizeBatch(tokenizer, batch.captions, text.max_position_embeddings);
        const loss = clipContrastiveLoss(l2Normalize(model.encodeImage(batch.pixelValues)), l2Normalize(model.encodeText(ids)), model.logit_scale, {
          classes: o.labelPositives ? batch.labels : undefined,
        });
        (o.gradAccum > 1 ? mul(loss, 1 / o.gradAccum) : loss).backward();
        stepLoss += loss.item() / o.gradAccum;
        stepImages += batch.keys.length;
        if (++micro < o.gradAccum) continue;
        micro = 0;

        const gradNorm = clipGradNorm(params, o.maxGradNorm);
        optimizer.step();
        optimizer.zeroGrad();
        scheduler.step();
        clampLogitScale(model);
        step++;
        position = batch.position;
        samplesSeen += stepImages;

        const seconds = (performance.now() - stepStart) / 1000;
        window = { loss: window.loss + stepLoss, steps: window.steps + 1, images: window.images + stepImages, seconds: window.seconds + seconds, gradNorm: Math.max(window.gradNorm, gradNorm) };
        lastLoss = stepLoss;
        const scale = noGrad(() => Math.exp(model.logit_scale.item()));
        const lr = scheduler.getLastLr()[0];
        progress.update({ step, loss: stepLoss, lr, logitScale: scale, imagesPerSecond: stepImages / seconds });
        hooks.onStep?.(step, stepLoss);
        if (step % o.logEvery === 0 || step === totalSteps) {
          metrics.append({
            type: "train", step, epoch, loss: window.loss / window.steps, lr, logitScale: scale, temperature: 1 / scale,
            gradNorm: window.gradNorm, imagesPerSecond: window.images / window.seconds, skipped: skipped(),
          });
          window = { loss: 0, steps: 0, images: 0, seconds: 0, gradNorm: 0 };
        }
        if (step % o.saveEvery === 0 || step === totalSteps) save();
        if (step >= totalSteps) break;
        stepLoss = 0;
        stepImages = 0;
        // One turn of the event loop so the progress bar's timer and signals get through.
        await new Promise((r) => setImmediate(r));
        stepStart = performance.now();
      }
      // Micro-batches that did not fill a step at the end of an epoch are dropped.
      optimizer.zeroGrad();
      if (step < totalSteps) position = { epoch: epoch + 1, index: 0 };
      await runEval(epoch);
      await writeCurves(runDir, title, clipCurvePanels(metrics.rows));
    }
  } finally {
    progress.stop();
    await loader.close();
  }
  if (startStep === step && resumed) progress.log(`run already complete at step ${step}`);
  writeModelFolder(finalDir, model, filesDir);
  await writeCurves(runDir, title, clipCurvePanels(metrics.rows));
  const seconds = (performance.now() - startedAt) / 1000;
  return {
    runDir, finalDir, steps: step, finalLoss: lastLoss, lastEval, skipped: skipped(), seconds,
    imagesPerSecond: (samplesSeen - (resumed?.state.samplesSeen ?? 0)) / seconds,
    resumedFrom: resumed ? resumed.state.step : null,
  };
}
