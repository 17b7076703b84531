/**
 * runs/NAME/metrics.jsonl: one JSON object per line, `type` "train" (every few steps) or
 * "eval" (every epoch), appended as the run goes so a crash loses at most the current line.
 */
import { appendFileSync, existsSync, readFileSync, writeSync } from "node:fs";
import { writeFileAtomic } from "../../io/atomic.js";

export interface TrainRow {
  type: "train";
  step: number;
  epoch: number;
  /** Mean loss over the steps since the previous row. */
  loss: number;
  lr: number;
  /** exp(logit_scale), the inverse temperature (at most 100). */
  logitScale: number;
  temperature: number;
  gradNorm: number;
  imagesPerSecond: number;
  skipped: number;
}

export interface EvalRow {
  type: "eval";
  step: number;
  epoch: number;
  images: number;
  /** Zero-shot accuracy over the class names present (absent without labels). */
  top1?: number;
  top5?: number;
  textToImageR1: number;
  textToImageR5: number;
  textToImageR10: number;
  imageToTextR1: number;
}

export type MetricRow = TrainRow | EvalRow;

export class MetricsLog {
  readonly rows: MetricRow[] = [];

  /**
   * Opens the log of a run. Resuming from step S keeps what happened up to S (train rows up
   * to S; eval rows only before S, since an evaluation at S comes after S's checkpoint) and
   * drops the rest, which the resumed run writes again.
   */
  constructor(readonly file: string, resumeStep: number | null) {
    if (resumeStep === null || !existsSync(file)) {
      writeFileAtomic(file, () => undefined);
      return;
    }
    const kept = readFileSync(file, "utf8")
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => JSON.parse(line) as MetricRow)
      .filter((r) => (r.type === "eval" ? r.step < resumeStep : r.step <= resumeStep));
    this.rows.push(...kept);
    const text = kept.map((r) => `${JSON.stringify(r)}\n`).join("");
    writeFileAtomic(file, (fd) => writeSync(fd, text));
  }

  append(row: MetricRow): void {
    this.rows.push(row);
    appendFileSync(this.file, `${JSON.stringify(row)}\n`);
  }
}
