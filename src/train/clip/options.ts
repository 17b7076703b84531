/**
 * Everything a CLIP training run is configured by, validated once at the boundary (zod), so
 * the trainer works with a typed record and a bad value is one named error.
 */
import { z } from "zod";
import { ArgumentError } from "../../errors.js";

const positiveInt = z.number().int().positive();

export const trainClipOptionsSchema = z
  .object({
    /** Training data: a manifest (CSV/TSV/JSONL), a folder of images with .txt captions, or WebDataset shards. */
    data: z.string().min(1),
    /** Keep only manifest rows whose `splitKey` field equals this (e.g. "train"). */
    split: z.string().optional(),
    splitKey: z.string().default("split"),
    imageKey: z.string().optional(),
    /** Several keys give each row several captions, one drawn per epoch. */
    captionKey: z.union([z.string(), z.array(z.string()).min(1)]).optional(),
    /** Held-out data for the per-epoch evaluation; default `data` when `evalSplit` is set. */
    evalData: z.string().optional(),
    evalSplit: z.string().optional(),
    /** Manifest field holding the class name for zero-shot evaluation (and `labelPositives`). */
    labelKey: z.string().default("name"),
    /**
     * Pairs in a batch with the same label are positives to each other (UniCL's loss), not
     * negatives: for data with several images per class. Needs a manifest with `labelKey`.
     * Optional rather than default false so that runs checkpointed before it existed resume.
     */
    labelPositives: z.boolean().optional(),
    /** Prompt templates for the zero-shot evaluation (ensembled). */
    evalTemplates: z.array(z.string()).min(1).default(["a photo of a {}."]),
    /** Evaluate on at most this many held-out rows. */
    evalLimit: positiveInt.optional(),

    /** A preset name or a JSON config, for a model trained from scratch. */
    modelConfig: z.string().optional(),
    /** A pretrained CLIP to fine-tune: Hub id, model folder or weights file. */
    init: z.string().optional(),
    /** Tokenizer files for a model trained from scratch; default the CLIP vocabulary shipped in assets/. */
    tokenizer: z.string().optional(),
    freeze: z.enum(["vision", "text"]).optional(),
    /** "projections": train only visual_projection, text_projection and logit_scale. */
    train: z.enum(["all", "projections"]).default("all"),

    out: z.string().min(1),
    /**
     * Plans epochs x (rows / batch / accumulation) steps from the dataset's size; steps lost to
     * undecodable images are made up from the next epoch, so the schedule runs its course.
     */
    epochs: positiveInt.default(10),
    /** Stop after this many optimizer steps (before the epochs are done). */
    steps: positiveInt.optional(),
    batchSize: z.number().int().min(2).default(64),
    /** Peak learning rate; default 5e-4 from scratch, 1e-5 with `init`. */
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
    /** Area range of the random resized crop. */
    cropScale: z.tuple([z.number(), z.number()]).default([0.9, 1]),
    /** Chance of a Gaussian blur after the crop (0: never). */
    blur: z.number().min(0).max(1).default(0),
    /** Range of the blur's sigma in pixels of the model's input. */
    blurSigma: z.tuple([z.number(), z.number()]).default([0.1, 2]),
    seed: z.number().int().nonnegative().default(0),
    workers: positiveInt.optional(),

    saveEvery: positiveInt.default(500),
    keep: positiveInt.default(3),
    resume: z.boolean().default(false),
    /** A metrics row (and a log line when stderr is not a terminal) every N steps. */
    logEvery: positiveInt.default(10),
    /** Draw the progress bar: default when stderr is a terminal. */
    progress: z.boolean().optional(),
  })
  .strict();

export type TrainClipInput = z.input<typeof trainClipOptionsSchema>;
export type TrainClipOptions = z.output<typeof trainClipOptionsSchema>;

/** Validates options; contradictions are ArgumentErrors naming both options. */
export function parseTrainClipOptions(input: unknown): TrainClipOptions {
  const result = trainClipOptionsSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join(".") || "(options)"}: ${i.message}`);
    throw new ArgumentError(`train clip: ${problems.join("; ")}`);
  }
  const o = result.data;
  if (o.init && o.modelConfig) throw new ArgumentError("train clip: pass --init (fine-tune) or --model-config (from scratch), not both");
  if (o.init && o.tokenizer) throw new ArgumentError("train clip: --tokenizer is for training from scratch; --init uses the pretrained model's tokenizer");
  if (o.freeze && o.train === "projections") throw new ArgumentError("train clip: --train projections already freezes both towers; drop --freeze");
  if (!(o.cropScale[0] > 0 && o.cropScale[0] <= o.cropScale[1] && o.cropScale[1] <= 1)) {
    throw new ArgumentError(`train clip: crop scale must satisfy 0 < min <= max <= 1, got ${o.cropScale.join(",")}`);
  }
  if (!(o.blurSigma[0] > 0 && o.blurSigma[0] <= o.blurSigma[1])) {
    throw new ArgumentError(`train clip: blur sigma must satisfy 0 < min <= max, got ${o.blurSigma.join(",")}`);
  }
  return o;
}

/** The peak learning rate actually used. */
export function peakLr(o: TrainClipOptions): number {
  return o.lr ?? (o.init ? 1e-5 : 5e-4);
}
