/** The held-out evaluation run at the end of every epoch: zero-shot accuracy and retrieval. */
import { openImageTextData } from "../../data/open.js";
import { type EvalSet, collectEvalSet, embedEvalSet, retrievalFromEmbeds, zeroShotFromEmbeds } from "../../eval/run.js";
import type { ClipParts } from "../../pipelines/embed.js";
import type { EvalRowBase, MetricRow } from "../metrics.js";
import type { TrainClipOptions } from "./options.js";

export interface EvalRow extends EvalRowBase {
  images: number;
  /** Zero-shot accuracy over the class names present (absent without labels). */
  top1?: number;
  top5?: number;
  textToImageR1: number;
  textToImageR5: number;
  textToImageR10: number;
  imageToTextR1: number;
}

/** What a CLIP run adds to each train row and step report. */
export interface ClipStepMetrics {
  [name: string]: number;
  /** exp(logit_scale), the inverse temperature (at most 100). */
  logitScale: number;
  temperature: number;
}

export type ClipMetricRow = MetricRow<EvalRow, ClipStepMetrics>;

export interface EvalData {
  set: EvalSet;
  templates: readonly string[];
  /** Zero-shot needs a class name on every image and at least two classes. */
  zeroShot: boolean;
}

/** The held-out rows, read once per run: `evalData` (default: the training data) filtered by `evalSplit`. */
export async function loadEvalData(o: TrainClipOptions): Promise<EvalData> {
  const dataset = await openImageTextData(o.evalData ?? o.data, {
    imageKey: o.imageKey,
    captionKey: o.captionKey,
    labelKey: o.labelKey,
    optionalLabel: true,
    where: o.evalSplit ? { [o.splitKey]: o.evalSplit } : undefined,
  });
  const set = await collectEvalSet(dataset, o.evalLimit);
  const labels = new Set(set.images.map((i) => i.label));
  return { set, templates: o.evalTemplates, zeroShot: !labels.has(undefined) && labels.size >= 2 };
}

export async function evaluate(parts: ClipParts, data: EvalData, at: { step: number; epoch: number; workers?: number }): Promise<EvalRow> {
  const embedded = await embedEvalSet(parts, data.set, { workers: at.workers });
  const retrieval = retrievalFromEmbeds(parts, embedded);
  const row: EvalRow = {
    type: "eval",
    step: at.step,
    epoch: at.epoch,
    images: embedded.kept.length,
    textToImageR1: retrieval.textToImage.recall[1],
    textToImageR5: retrieval.textToImage.recall[5],
    textToImageR10: retrieval.textToImage.recall[10],
    imageToTextR1: retrieval.imageToText.recall[1],
  };
  if (data.zeroShot) {
    const zs = zeroShotFromEmbeds(parts, embedded, data.templates);
    row.top1 = zs.top1;
    row.top5 = zs.top5;
  }
  return row;
}
