/**
 * How long a run is and how it learns: the number of optimizer steps planned from the data's
 * size, the warmup, and AdamW over decay / no-decay groups on a cosine schedule.
 */
import { ArgumentError } from "../errors.js";
import type { Module } from "../nn/index.js";
import { AdamW, LRScheduler, cosineWithWarmup, paramGroupsNoDecay } from "../optim/index.js";
import type { Tensor } from "../tensor/index.js";
import type { RunOptions } from "./options.js";

export interface StepPlan {
  totalSteps: number;
  warmupSteps: number;
}

/**
 * Plans `epochs` x (samples / batch / accumulation) optimizer steps, or `steps` if fewer;
 * data of unknown length (`samples` null: streamed shards) needs `steps`.
 */
export function planSteps(samples: number | null, o: Pick<RunOptions, "epochs" | "steps" | "batchSize" | "gradAccum" | "warmup">, dataName: string): StepPlan {
  if (samples === null && !o.steps) throw new ArgumentError("WebDataset shards have no known length: pass --steps");
  const perEpoch = samples === null ? null : Math.floor(Math.floor(samples / o.batchSize) / o.gradAccum);
  if (perEpoch === 0) {
    throw new ArgumentError(`${dataName}: ${samples} samples make no optimizer step of ${o.batchSize} x ${o.gradAccum} (batch size x gradient accumulation)`);
  }
  const totalSteps = Math.min(perEpoch === null ? Infinity : perEpoch * o.epochs, o.steps ?? Infinity);
  return { totalSteps, warmupSteps: Math.min(o.warmup ?? Math.round(0.05 * totalSteps), totalSteps) };
}

export interface OptimizerSetup {
  optimizer: AdamW;
  scheduler: LRScheduler;
  /** The trainable parameters, for gradient clipping. */
  params: Tensor[];
}

/**
 * AdamW over two groups of the trainable parameters: weight matrices decay; biases, norms,
 * embedding tables and other tensors under 2-d (CLIP's class embedding and temperature) do not
 * (`defaultNoDecay`). Decaying a temperature would pull it back towards 1.
 */
export function buildOptimizer(
  model: Module,
  o: { lr: number; weightDecay: number; betas: [number, number]; eps: number; warmupSteps: number; totalSteps: number; minLrRatio: number },
): OptimizerSetup {
  const groups = paramGroupsNoDecay(model, { weightDecay: o.weightDecay }).filter((g) => [...g.params].length > 0);
  const optimizer = new AdamW(groups, { lr: o.lr, betas: o.betas, eps: o.eps });
  const scheduler = new LRScheduler(optimizer, cosineWithWarmup({ warmupSteps: o.warmupSteps, totalSteps: o.totalSteps, minLrRatio: o.minLrRatio }));
  return { optimizer, scheduler, params: optimizer.paramGroups.flatMap((g) => g.params) };
}
