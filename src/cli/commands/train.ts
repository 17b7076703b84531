import { type Command, InvalidArgumentError, Option } from "commander";
import { percent } from "../../eval/table.js";
import { type EvalRow, type TrainClipCallbacks, type TrainClipInput, clipPresetNames, trainClip } from "../../train/clip/index.js";
import { type DataFlags, addDataOptions } from "../option-groups.js";
import { collect, oneOrMany, positiveInt, printJson } from "../options.js";
import { TrainBar } from "../progress/train-bar.js";

interface TrainClipFlags extends DataFlags {
  evalData?: string;
  evalSplit?: string;
  labelKey: string;
  labelPositives?: boolean;
  evalTemplate: string[];
  evalLimit?: number;
  modelConfig?: string;
  init?: string;
  tokenizer?: string;
  freeze?: "vision" | "text";
  train: "all" | "projections";
  out: string;
  epochs: number;
  steps?: number;
  batchSize: number;
  lr?: number;
  weightDecay: number;
  warmup?: number;
  minLr: number;
  gradAccum: number;
  maxGradNorm: number;
  cropScale: [number, number];
  blur: number;
  blurSigma: [number, number];
  seed: number;
  saveEvery: number;
  keep: number;
  resume?: boolean;
  logEvery: number;
  progress?: boolean;
  json?: boolean;
}

function number(name: string, check: (n: number) => boolean = Number.isFinite): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === "" || !check(n)) throw new InvalidArgumentError(`${name}: bad value "${value}"`);
    return n;
  };
}

function range(value: string): [number, number] {
  const parts = value.split(",").map(Number);
  if (parts.length !== 2 || parts.some((n) => !Number.isFinite(n))) throw new InvalidArgumentError(`expected "min,max", got "${value}"`);
  return [parts[0], parts[1]];
}

const nonNegative = (name: string) => number(name, (n) => Number.isInteger(n) && n >= 0);

/** argv flags -> the trainer's options (validated there). */
export function trainClipInput(f: TrainClipFlags): TrainClipInput {
  return {
    data: f.data, split: f.split, splitKey: f.splitKey, imageKey: f.imageKey, captionKey: oneOrMany(f.captionKey),
    evalData: f.evalData, evalSplit: f.evalSplit, labelKey: f.labelKey, labelPositives: f.labelPositives, evalLimit: f.evalLimit,
    evalTemplates: f.evalTemplate.length ? f.evalTemplate : undefined,
    modelConfig: f.modelConfig, init: f.init, tokenizer: f.tokenizer, freeze: f.freeze, train: f.train,
    out: f.out, epochs: f.epochs, steps: f.steps, batchSize: f.batchSize, lr: f.lr, weightDecay: f.weightDecay,
    warmup: f.warmup, minLrRatio: f.minLr, gradAccum: f.gradAccum, maxGradNorm: f.maxGradNorm, cropScale: f.cropScale,
    blur: f.blur, blurSigma: f.blurSigma,
    seed: f.seed, workers: f.workers, saveEvery: f.saveEvery, keep: f.keep, resume: f.resume ?? false,
    logEvery: f.logEvery,
  };
}

function evalLine(e: EvalRow): string {
  const zs = e.top1 === undefined ? "" : `zero-shot top-1 ${percent(e.top1)}, top-5 ${percent(e.top5!)}; `;
  return `[eval] epoch ${e.epoch} step ${e.step}: ${zs}text->image R@1 ${percent(e.textToImageR1)} R@10 ${percent(e.textToImageR10)} (${e.images} images)`;
}

/** The run drawn on stderr: a bar on a terminal (unless --no-progress), log lines otherwise. */
function reporter(flags: TrainClipFlags): { callbacks: TrainClipCallbacks; stop: () => void } {
  const bar = new TrainBar({
    bar: flags.progress !== false && process.stderr.isTTY === true,
    logEvery: flags.logEvery,
    metrics: [{ key: "logitScale", label: "exp(t)", digits: 2 }],
    unit: "img/s",
  });
  const callbacks: TrainClipCallbacks = {
    onStart: (s) => {
      if (s.resumedFrom !== null && s.step >= s.totalSteps) bar.log(`run already complete at step ${s.step}`);
      else bar.start(s);
    },
    onStep: (r) => bar.step(r),
    onEval: (e) => bar.log(evalLine(e)),
    onSkip: (s) => bar.log(`[data] skipped ${s.key} (${s.reason}): ${s.message}`),
  };
  return { callbacks, stop: () => bar.stop() };
}

export function registerTrain(program: Command): void {
  const train = program.command("train").description("train models (see: vlm train clip --help)");
  const clip = train.command("clip").description("train CLIP from scratch on image-caption pairs, or fine-tune a pretrained CLIP");
  addDataOptions(clip, { role: "training", splitExample: "train", captions: "a row's several captions, one drawn per epoch" })
    .requiredOption("-o, --out <dir>", "run folder: checkpoints/, final/, metrics.jsonl, curves.png")
    .option("--eval-data <source>", "held-out data evaluated every epoch (default: --data when --eval-split is given)")
    .option("--eval-split <value>", "evaluate on the rows whose split field equals this (e.g. val)")
    .option("--label-key <field>", "manifest field with the class name, for zero-shot accuracy", "name")
    .option("--label-positives", "pairs in a batch with the same --label-key value are positives to each other, not negatives (UniCL)")
    .option("--eval-template <text>", 'zero-shot prompt, "{}" marks the label (repeatable: ensembled; default "a photo of a {}.")', collect, [])
    .option("--eval-limit <n>", "evaluate on at most N held-out rows", positiveInt("--eval-limit"))
    .option("--model-config <preset|json>", `model to train from scratch: ${clipPresetNames().join(", ")} or a config.json (default icons-tiny)`)
    .option("--init <model>", "fine-tune this pretrained CLIP (Hub id, model folder or weights file)")
    .option("--tokenizer <path>", "tokenizer for a model trained from scratch (default: the CLIP vocabulary shipped with vlmkit)")
    .addOption(new Option("--freeze <tower>", "keep one tower's weights fixed").choices(["vision", "text"]))
    .addOption(new Option("--train <part>", "what to train: all, or only the projections and temperature").choices(["all", "projections"]).default("all"))
    .option("--epochs <n>", "passes over the data", positiveInt("--epochs"), 10)
    .option("--steps <n>", "stop after N optimizer steps", positiveInt("--steps"))
    .option("-b, --batch-size <n>", "pairs per batch (the contrastive loss sees B x B pairs)", positiveInt("--batch-size"), 64)
    .option("--lr <rate>", "peak learning rate (default 5e-4 from scratch, 1e-5 with --init)", number("--lr", (n) => n > 0))
    .option("--weight-decay <wd>", "AdamW decay of weight matrices (never biases, norms, embeddings, temperature)", number("--weight-decay", (n) => n >= 0), 0.1)
    .option("--warmup <steps>", "linear warmup steps before the cosine decay (default 5% of the run)", nonNegative("--warmup"))
    .option("--min-lr <ratio>", "final learning rate as a fraction of the peak", number("--min-lr", (n) => n >= 0 && n <= 1), 0)
    .option("--grad-accum <n>", "micro-batches per optimizer step (each batch is its own contrast set)", positiveInt("--grad-accum"), 1)
    .option("--max-grad-norm <n>", "clip gradients to this global norm", number("--max-grad-norm", (n) => n > 0), 1)
    .option("--crop-scale <min,max>", "area range of the random resized crop", range, [0.9, 1] as [number, number])
    .option("--blur <p>", "chance of a Gaussian blur after the crop", number("--blur", (n) => n >= 0 && n <= 1), 0)
    .option("--blur-sigma <min,max>", "range of the blur's sigma in input pixels", range, [0.1, 2] as [number, number])
    .option("--seed <n>", "seeds the initialisation, data order and augmentations", nonNegative("--seed"), 0)
    .option("--save-every <steps>", "checkpoint every N steps (and at the end)", positiveInt("--save-every"), 500)
    .option("--keep <k>", "checkpoints to keep (the newest)", positiveInt("--keep"), 3)
    .option("--resume", "continue the run in --out from its latest complete checkpoint, exactly")
    .option("--log-every <steps>", "metrics row (and a log line off a terminal) every N steps", positiveInt("--log-every"), 10)
    .option("--no-progress", "no progress bar, even on a terminal")
    .option("--json", "print the result summary as JSON")
    .addHelpText("after", `
Model presets (from scratch, CLIP's 49408-token vocabulary):
  tiny         32 px / patch 8, width 32, 1 layer, context 16     smoke tests
  icons-tiny   64 px / patch 8, width 192, 4 layers, context 32   the 64 px icons corpus
  small        128 px / patch 16, width 384/256, 6 layers          larger caption sets

Examples:
  vlm train clip --data data/icons/manifest.jsonl --split train --eval-split val \\
    --eval-template "an emoji of a {}." --model-config icons-tiny --epochs 5 --out runs/icons
  vlm train clip --data photos/ --init openai/clip-vit-base-patch32 --freeze vision --lr 1e-5 --epochs 3 --out runs/ft
  vlm train clip --data captions.csv --init openai/clip-vit-base-patch32 --train projections --out runs/proj
  vlm train clip --data data/icons/manifest.jsonl --split train --out runs/icons --resume

Writes runs/NAME/checkpoints/step-NNNNNN/ (the last --keep), runs/NAME/final/ (a model folder
for --model), metrics.jsonl and curves.png / curves.svg / curves.html.`)
    .action(async (flags: TrainClipFlags) => {
      const { callbacks, stop } = reporter(flags);
      let r;
      try {
        r = await trainClip(trainClipInput(flags), callbacks);
      } finally {
        stop();
      }
      if (flags.json) return printJson(r);
      const e = r.lastEval;
      const evalLine = e
        ? `; held-out: ${e.top1 === undefined ? "" : `zero-shot top-1 ${percent(e.top1)}, top-5 ${percent(e.top5!)}, `}text->image R@1 ${percent(e.textToImageR1)}, R@10 ${percent(e.textToImageR10)}`
        : "";
      console.log(`trained ${r.steps} steps (${r.imagesPerSecond.toFixed(1)} img/s), final loss ${r.finalLoss.toFixed(4)}${evalLine}`);
      if (r.skipped) console.log(`skipped ${r.skipped} samples that could not be decoded`);
      console.log(`model: ${r.finalDir}\ncurves: ${r.runDir}/curves.png`);
    });
}
