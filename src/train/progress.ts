/**
 * What a training run reports as it goes, as plain data through callbacks: the library draws
 * nothing. The CLI draws its progress bar from these; a server could stream them; tests count.
 */
import type { SkippedSample } from "../data/dataset.js";
import type { EvalRowBase, StepMetrics } from "./metrics.js";

export interface RunStart {
  /** Steps already taken (those of the checkpoint resumed from, else 0). */
  step: number;
  totalSteps: number;
  /** The step resumed from, or null for a new run. */
  resumedFrom: number | null;
}

export interface StepReport<M extends StepMetrics = StepMetrics> {
  step: number;
  totalSteps: number;
  epoch: number;
  /** This step's loss (the mean over its micro-batches). */
  loss: number;
  lr: number;
  /** This step's throughput, in the trainer's unit (images, tokens). */
  samplesPerSecond: number;
  /** The trainer's own numbers (CLIP: logitScale, temperature). */
  metrics: M;
}

export interface TrainCallbacks<E extends EvalRowBase = EvalRowBase, M extends StepMetrics = StepMetrics> {
  /** Once, when the run is open and its length known. */
  onStart?: (start: RunStart) => void;
  /** After every optimizer step. */
  onStep?: (report: StepReport<M>) => void;
  /** After every held-out evaluation (end of each epoch). */
  onEval?: (row: E) => void;
  /** For each sample that could not be read or decoded (it is left out and counted). */
  onSkip?: (sample: SkippedSample) => void;
}
