/**
 * The options every training run has (the run folder, the schedule, the optimizer,
 * checkpoints), as zod fields a trainer's own schema extends, and the one way options are
 * validated at the boundary: a bad value is one named error.
 */
import { z } from "zod";
import { ArgumentError } from "../errors.js";

const positiveInt = z.number().int().positive();

export const runOptionsSchema = z.object({
  /** The run folder: checkpoints/, final/, metrics.jsonl, curves, run.json. */
  out: z.string().min(1),
  /**
   * Plans epochs x (samples / batch / accumulation) steps from the dataset's size; steps lost
   * to unreadable samples are made up from the next epoch, so the schedule runs its course.
   */
  epochs: positiveInt.default(10),
  /** Stop after this many optimizer steps (before the epochs are done). */
  steps: positiveInt.optional(),
  batchSize: positiveInt.default(64),
  /** Peak learning rate; each trainer has its default. */
  lr: z.number().positive().optional(),
  weightDecay: z.number().nonnegative().default(0.1),
  /** Warmup steps; default 5% of the run. */
  warmup: z.number().int().nonnegative().optional(),
  /** Final lr as a fraction of the peak. */
  minLrRatio: z.number().min(0).max(1).default(0),
  gradAccum: positiveInt.default(1),
  maxGradNorm: z.number().positive().default(1),
  betas: z.tuple([z.number(), z.number()]).default([0.9, 0.98]),
  eps: z.number().positive().default(1e-6),
  seed: z.number().int().nonnegative().default(0),
  saveEvery: positiveInt.default(500),
  keep: positiveInt.default(3),
  resume: z.boolean().default(false),
  /** A metrics row every N steps. */
  logEvery: positiveInt.default(10),
});

export type RunOptions = z.output<typeof runOptionsSchema>;

/** Validates a trainer's options; `command` ("train clip") prefixes the error. */
export function parseOptions<S extends z.ZodType>(schema: S, input: unknown, command: string): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join(".") || "(options)"}: ${i.message}`);
    throw new ArgumentError(`${command}: ${problems.join("; ")}`);
  }
  return result.data;
}

/** The options that shape a run's trajectory: a run resumed with different ones would not be the same run. */
export function fingerprint<O extends object>(options: O, keys: readonly (keyof O & string)[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, options[k] ?? null]));
}
