import { ArgumentError } from "../errors.js";
import type { Optimizer } from "./optimizer.js";

/** A learning-rate multiplier as a function of the scheduler step (0 before the first update). */
export type LrLambda = (step: number) => number;

export interface CosineWithWarmupOptions {
  warmupSteps: number;
  totalSteps: number;
  /** The floor, as a fraction of the base lr (default 0). */
  minLrRatio?: number;
}

/**
 * Linear warmup from 0 to 1 over `warmupSteps`, then a half cosine from 1 down to
 * `minLrRatio` at `totalSteps`, flat after (Hugging Face's get_cosine_schedule_with_warmup,
 * with a floor).
 *
 * @example
 * const f = cosineWithWarmup({ warmupSteps: 10, totalSteps: 100, minLrRatio: 0.1 });
 * f(0); f(5); f(10); f(100);   // 0, 0.5, 1, 0.1
 */
export function cosineWithWarmup(options: CosineWithWarmupOptions): LrLambda {
  const { warmupSteps, totalSteps } = options;
  const minLrRatio = options.minLrRatio ?? 0;
  if (!(warmupSteps >= 0) || !(totalSteps >= warmupSteps)) {
    throw new ArgumentError(`cosineWithWarmup: need 0 <= warmupSteps <= totalSteps, got ${warmupSteps} and ${totalSteps}`);
  }
  if (!(minLrRatio >= 0 && minLrRatio <= 1)) throw new ArgumentError(`cosineWithWarmup: minLrRatio must be in [0, 1], got ${minLrRatio}`);
  return (step) => {
    if (step < warmupSteps) return step / Math.max(1, warmupSteps);
    const progress = Math.min(1, (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps));
    return minLrRatio + (1 - minLrRatio) * 0.5 * (1 + Math.cos(Math.PI * progress));
  };
}

export interface LRSchedulerState {
  lastStep: number;
  baseLrs: number[];
}

/**
 * Sets each group's lr to baseLr * lambda(step), as torch's LambdaLR: the constructor applies
 * step 0, and each `step()` (call it after `optimizer.step()`) advances one. Its state
 * (the step and the base lrs) goes in the checkpoint next to the optimizer's.
 *
 * @example
 * const sched = new LRScheduler(opt, cosineWithWarmup({ warmupSteps: 100, totalSteps: 5000 }));
 * for (...) { loss.backward(); opt.step(); opt.zeroGrad(); sched.step(); }
 */
export class LRScheduler {
  readonly optimizer: Optimizer;
  lastStep = 0;
  baseLrs: number[];
  private readonly lambdas: LrLambda[];

  constructor(optimizer: Optimizer, lambda: LrLambda | LrLambda[]) {
    this.optimizer = optimizer;
    const n = optimizer.paramGroups.length;
    this.lambdas = Array.isArray(lambda) ? lambda : new Array<LrLambda>(n).fill(lambda);
    if (this.lambdas.length !== n) throw new ArgumentError(`LRScheduler: ${this.lambdas.length} lambdas for ${n} parameter groups`);
    this.baseLrs = optimizer.paramGroups.map((g) => g.lr);
    this.apply();
  }

  step(): void {
    this.lastStep++;
    this.apply();
  }

  /** The lr of each group, as last set. */
  getLastLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }

  stateDict(): LRSchedulerState {
    return { lastStep: this.lastStep, baseLrs: [...this.baseLrs] };
  }

  loadStateDict(state: LRSchedulerState): void {
    if (state.baseLrs.length !== this.baseLrs.length) {
      throw new ArgumentError(`LRScheduler.loadStateDict: ${state.baseLrs.length} base lrs for ${this.baseLrs.length} groups`);
    }
    this.lastStep = state.lastStep;
    this.baseLrs = [...state.baseLrs];
    this.apply();
  }

  private apply(): void {
    this.optimizer.paramGroups.forEach((g, i) => (g.lr = this.baseLrs[i] * this.lambdas[i](this.lastStep)));
  }
}
