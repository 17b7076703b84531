/**
 * Everything a CLIP training run is configured by: the run options every trainer has
 * (../options.ts) and CLIP's own (data, model, augmentation), validated once at the boundary.
 */
import { z } from "zod";
import { ArgumentError } from "../../errors.js";
import { parseOptions, runOptionsSchema } from "../options.js";

const positiveInt = z.number().int().positive();

export const trainClipOptionsSchema = runOptionsSchema
  .extend({
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
    /** Image decoding threads. */
    workers: positiveInt.optional(),

    /** A preset name or a JSON config, for a model trained from scratch. */
    modelConfig: z.string().optional(),
    /** A pretrained CLIP to fine-tune: Hub id, model folder or weights file. */
    init: z.string().optional(),
    /** Tokenizer files for a model trained from scratch; default the CLIP vocabulary shipped in assets/. */
    tokenizer: z.string().optional(),
    freeze: z.enum(["vision", "text"]).optional(),
    /** "projections": train only visual_projection, text_projection and logit_scale. */
    train: z.enum(["all", "projections"]).default("all"),

    /** A contrastive batch of one has nothing to contrast against. */
    batchSize: z.number().int().min(2).default(64),
    /** Area range of the random resized crop. */
    cropScale: z.tuple([z.number(), z.number()]).default([0.9, 1]),
    /** Chance of a Gaussian blur after the crop (0: never). */
    blur: z.number().min(0).max(1).default(0),
    /** Range of the blur's sigma in pixels of the model's input. */
    blurSigma: z.tuple([z.number(), z.number()]).default([0.1, 2]),
  })
  .strict();

export type TrainClipInput = z.input<typeof trainClipOptionsSchema>;
export type TrainClipOptions = z.output<typeof trainClipOptionsSchema>;

/** Options that shape the trajectory: a run resumed with different ones would not be the same run. */
export const CLIP_FINGERPRINT_KEYS = [
  "data", "split", "splitKey", "imageKey", "captionKey", "labelPositives", "modelConfig", "init", "freeze", "train", "epochs", "steps", "batchSize",
  "lr", "weightDecay", "warmup", "minLrRatio", "gradAccum", "maxGradNorm", "betas", "eps", "cropScale", "blur", "blurSigma", "seed",
] as const satisfies ReadonlyArray<keyof TrainClipOptions>;

/** Validates options; contradictions are ArgumentErrors naming both options. */
export function parseTrainClipOptions(input: unknown): TrainClipOptions {
  const o = parseOptions(trainClipOptionsSchema, input, "train clip");
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
