/**
 * The training loop every trainer shares, nanoGPT-style: micro-batches forward and backward
 * (gradients accumulated), clipping by global norm, the optimizer and schedule step, then the
 * bookkeeping: a step report, a metrics row every few steps, a checkpoint every few hundred,
 * a held-out evaluation and the curves at the end of every epoch, and final/ at the end.
 *
 * A trainer brings only its own parts (`Trainer`): the loss of a batch, what to do after an
 * update, its evaluation, its curve panels and how its model is saved.
 *
 * Resuming is exact: the weights, the optimizer moments, the schedule, the default generator
 * and the loader position all come back from the checkpoint, and every sample's augmentation
 * is seeded by (seed, epoch, index), so a resumed run computes the same steps bit for bit.
 */
import { join } from "node:path";
import type { LoaderPosition } from "../data/loader.js";
import { DatasetError } from "../errors.js";
import type { Module } from "../nn/index.js";
import { type LRScheduler, type Optimizer, clipGradNorm } from "../optim/index.js";
import { type Tensor, defaultGenerator, mul } from "../tensor/index.js";
import { type SaveModel, generatorStateFromJson, generatorStateToJson, pruneCheckpoints, writeCheckpoint, writeFolderAtomic } from "./checkpoint.js";
import { type EvalRowBase, type MetricRow, MetricsLog, type StepMetrics, type TrainRow } from "./metrics.js";
import type { RunOptions } from "./options.js";
import { type Panel, writeCurves } from "./plot.js";
import type { StepReport, TrainCallbacks } from "./progress.js";
import type { OpenedRun } from "./run.js";
import type { StepPlan } from "./schedule.js";

/** A batch knows where the data stands after it (saved with checkpoints). */
export interface Batch {
  position: LoaderPosition;
}

/** Batches by epoch, resumable at a position (ImageTextLoader is one). */
export interface BatchSource<B extends Batch> {
  epoch(epoch: number, options: { from: number }): AsyncIterable<B>;
  /** Samples read so far, usable, and skipped (unreadable). */
  readonly stats: { seen: number; decoded: number; skipped: number };
}

/** What a trainer writes; the loop does the rest. */
export interface Trainer<B extends Batch, E extends EvalRowBase, M extends StepMetrics> {
  /** The title of curves.png. */
  title: string;
  /** What a sample is, naming the throughput in metrics rows (`imagesPerSecond`). */
  unit: string;
  /** Forward one micro-batch to its loss, a scalar; the loop calls backward. */
  loss(batch: B): Tensor;
  /** Samples in a batch, for throughput. */
  samples(batch: B): number;
  /** After every optimizer update (CLIP clamps its temperature). */
  afterUpdate?(): void;
  /** Numbers of the current state for the step reports and train rows. */
  stepMetrics(): M;
  /** The held-out evaluation at the end of an epoch (the model is in eval mode meanwhile). */
  evaluate?(at: { step: number; epoch: number }): Promise<E>;
  curvePanels(rows: readonly MetricRow<E, M>[]): Panel[];
  /** Writes the model into a folder (checkpoints, final/). */
  saveModel: SaveModel;
}

/** The run as set up before the first step. */
export interface TrainSetup<B extends Batch> {
  run: OpenedRun;
  model: Module;
  optimizer: Optimizer;
  scheduler: LRScheduler;
  /** The trainable parameters, for clipping. */
  params: Tensor[];
  data: BatchSource<B>;
  /** Names the data in errors. */
  dataName: string;
  plan: StepPlan & Pick<RunOptions, "batchSize" | "gradAccum" | "maxGradNorm" | "saveEvery" | "keep" | "logEvery">;
  fingerprint: Record<string, unknown>;
}

export interface TrainResult<E> {
  runDir: string;
  /** The final model folder (runs/NAME/final). */
  finalDir: string;
  steps: number;
  /** Loss of the last step taken by this process (NaN if none). */
  finalLoss: number;
  lastEval: E | null;
  /** Unreadable samples skipped over the whole run. */
  skipped: number;
  seconds: number;
  /** Throughput of this process (a resumed run counts only its own steps). */
  samplesPerSecond: number;
  resumedFrom: number | null;
}

/** Where the run stands: what a checkpoint saves besides the model and the optimizer. */
interface Cursor {
  step: number;
  position: LoaderPosition;
  samplesSeen: number;
  /** Skipped samples and seconds of the processes before this one. */
  skippedBefore: number;
  elapsedBefore: number;
}

/** Restores the optimizer, the schedule and the default generator of a resumed run; where it stands. */
function restore<B extends Batch>({ run, optimizer, scheduler }: TrainSetup<B>): Cursor {
  if (!run.resumed) return { step: 0, position: { epoch: 0, index: 0 }, samplesSeen: 0, skippedBefore: 0, elapsedBefore: 0 };
  const { state } = run.resumed;
  optimizer.loadStateDict(run.resumed.optimizer);
  scheduler.loadStateDict(state.scheduler);
  defaultGenerator.setState(generatorStateFromJson(state.generator));
  return { step: state.step, position: state.position, samplesSeen: state.samplesSeen, skippedBefore: state.skipped, elapsedBefore: state.elapsedSeconds };
}

/** Steps since the last metrics row. */
class Window {
  loss = 0;
  steps = 0;
  samples = 0;
  seconds = 0;
  gradNorm = 0;

  add(loss: number, samples: number, seconds: number, gradNorm: number): void {
    this.loss += loss;
    this.steps++;
    this.samples += samples;
    this.seconds += seconds;
    this.gradNorm = Math.max(this.gradNorm, gradNorm);
  }
}

/**
 * Trains until `plan.totalSteps` and writes final/; see the module comment.
 *
 * @example
 * const result = await train(setup, { title, unit: "images", loss: (b) => lossOf(model, b), ... }, { onStep: console.log });
 */
export async function train<B extends Batch, E extends EvalRowBase, M extends StepMetrics>(
  setup: TrainSetup<B>, trainer: Trainer<B, E, M>, callbacks: TrainCallbacks<E, M> = {},
): Promise<TrainResult<E>> {
  const { run, model, optimizer, scheduler, params, data, plan } = setup;
  const at = restore(setup);
  const resumedFrom = run.resumed ? at.step : null;
  const metrics = new MetricsLog<MetricRow<E, M>>(join(run.dir, "metrics.jsonl"), resumedFrom);
  const skipped = (): number => at.skippedBefore + data.stats.skipped;
  const startedAt = performance.now();
  const samplesBefore = at.samplesSeen;
  let window = new Window();
  let lastEval: E | null = null;
  let lastLoss = NaN;
  callbacks.onStart?.({ step: at.step, totalSteps: plan.totalSteps, resumedFrom });

  /** The report of a step just taken, its metrics row every `logEvery` steps, its checkpoint every `saveEvery`. */
  const record = (epoch: number, loss: number, samples: number, seconds: number, gradNorm: number): void => {
    const report: StepReport<M> = {
      step: at.step, totalSteps: plan.totalSteps, epoch, loss, lr: scheduler.getLastLr()[0], samplesPerSecond: samples / seconds, metrics: trainer.stepMetrics(),
    };
    window.add(loss, samples, seconds, gradNorm);
    lastLoss = loss;
    callbacks.onStep?.(report);
    if (at.step % plan.logEvery === 0 || at.step === plan.totalSteps) {
      const row: TrainRow = {
        type: "train", step: at.step, epoch, loss: window.loss / window.steps, lr: report.lr, ...report.metrics,
        gradNorm: window.gradNorm, [`${trainer.unit}PerSecond`]: window.samples / window.seconds, skipped: skipped(),
      };
      metrics.append(row as TrainRow & M);
      window = new Window();
    }
    if (at.step % plan.saveEvery === 0 || at.step === plan.totalSteps) {
      writeCheckpoint(run.checkpointsDir, trainer.saveModel, optimizer, {
        version: 1, step: at.step, totalSteps: plan.totalSteps, position: at.position, samplesSeen: at.samplesSeen, skipped: skipped(),
        scheduler: scheduler.stateDict(), generator: generatorStateToJson(defaultGenerator.getState()),
        elapsedSeconds: at.elapsedBefore + (performance.now() - startedAt) / 1000, fingerprint: setup.fingerprint,
      });
      pruneCheckpoints(run.checkpointsDir, plan.keep);
    }
  };

  for (let epoch = at.position.epoch; at.step < plan.totalSteps; epoch++) {
    const from = epoch === at.position.epoch ? at.position.index : 0;
    const before = { step: at.step, seen: data.stats.seen, decoded: data.stats.decoded };
    let [micro, loss, samples, stepStart] = [0, 0, 0, performance.now()];
    for await (const batch of data.epoch(epoch, { from })) {
      const microLoss = trainer.loss(batch);
      (plan.gradAccum > 1 ? mul(microLoss, 1 / plan.gradAccum) : microLoss).backward();
      loss += microLoss.item() / plan.gradAccum;
      samples += trainer.samples(batch);
      if (++micro < plan.gradAccum) continue;

      const gradNorm = clipGradNorm(params, plan.maxGradNorm);
      optimizer.step();
      optimizer.zeroGrad();
      scheduler.step();
      trainer.afterUpdate?.();
      at.step++;
      at.position = batch.position;
      at.samplesSeen += samples;
      record(epoch, loss, samples, (performance.now() - stepStart) / 1000, gradNorm);
      if (at.step >= plan.totalSteps) break;
      [micro, loss, samples] = [0, 0, 0];
      // One turn of the event loop so progress bars' timers and signals get through.
      await new Promise((r) => setImmediate(r));
      stepStart = performance.now();
    }
    // Micro-batches that did not fill a step at the end of an epoch are dropped.
    optimizer.zeroGrad();
    if (from === 0 && at.step === before.step) throw tooFewSamples(setup, epoch, data.stats.seen - before.seen, data.stats.decoded - before.decoded);
    if (at.step < plan.totalSteps) at.position = { epoch: epoch + 1, index: 0 };
    if (trainer.evaluate) {
      model.eval();
      lastEval = await trainer.evaluate({ step: at.step, epoch });
      model.train();
      metrics.append(lastEval);
      callbacks.onEval?.(lastEval);
    }
    await writeCurves(run.dir, trainer.title, trainer.curvePanels(metrics.rows));
  }

  writeFolderAtomic(run.finalDir, trainer.saveModel);
  await writeCurves(run.dir, trainer.title, trainer.curvePanels(metrics.rows));
  const seconds = (performance.now() - startedAt) / 1000;
  return {
    runDir: run.dir, finalDir: run.finalDir, steps: at.step, finalLoss: lastLoss, lastEval, skipped: skipped(), seconds,
    samplesPerSecond: (at.samplesSeen - samplesBefore) / seconds, resumedFrom,
  };
}

/** A whole epoch read without one optimizer step: another epoch would not do better, so stop. */
function tooFewSamples<B extends Batch>(setup: TrainSetup<B>, epoch: number, seen: number, decoded: number): DatasetError {
  const { batchSize, gradAccum } = setup.plan;
  return new DatasetError(
    setup.dataName,
    `only ${decoded} of ${seen} samples could be decoded in epoch ${epoch} (${seen - decoded} skipped), and one optimizer step needs ` +
      `${batchSize * gradAccum} (batch size ${batchSize} x gradient accumulation ${gradAccum})`,
  );
}
