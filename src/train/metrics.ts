/**
 * runs/NAME/metrics.jsonl: one JSON object per line, `type` "train" (every few steps) or
 * "eval" (every epoch, the trainer's own fields), appended as the run goes so a crash loses
 * at most the current line.
 */
import { appendFileSync, existsSync, readFileSync, writeSync } from "node:fs";
import { writeFileAtomic } from "../io/atomic.js";

/** Numbers a trainer adds to its train rows and step reports (CLIP: logitScale, temperature). */
export type StepMetrics = Record<string, number>;

export interface TrainRow {
  type: "train";
  step: number;
  epoch: number;
  /** Mean loss over the steps since the previous row. */
  loss: number;
  lr: number;
  /** Largest gradient norm (before clipping) over those steps. */
  gradNorm: number;
  /** Undecodable samples skipped so far in the run. */
  skipped: number;
  /** Samples per second over those steps, named by what the trainer counts: imagesPerSecond, tokensPerSecond. */
  [throughput: `${string}PerSecond`]: number;
}

/** What every eval row has; a trainer adds its metrics. */
export interface EvalRowBase {
  type: "eval";
  step: number;
  epoch: number;
}

export type MetricRow<E extends EvalRowBase = EvalRowBase, M extends StepMetrics = StepMetrics> = (TrainRow & M) | E;

export class MetricsLog<R extends { type: string; step: number }> {
  readonly rows: R[] = [];

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
      .map((line) => JSON.parse(line) as R)
      .filter((r) => (r.type === "eval" ? r.step < resumeStep : r.step <= resumeStep));
    this.rows.push(...kept);
    const text = kept.map((r) => `${JSON.stringify(r)}\n`).join("");
    writeFileAtomic(file, (fd) => writeSync(fd, text));
  }

  append(row: R): void {
    this.rows.push(row);
    appendFileSync(this.file, `${JSON.stringify(row)}\n`);
  }
}
