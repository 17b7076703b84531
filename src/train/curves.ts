/** Building blocks of a run's curves.png (see plot.ts), shared by the trainers. */
import type { EvalRowBase, MetricRow, StepMetrics, TrainRow } from "./metrics.js";
import type { Panel, Series } from "./plot.js";

/** The train rows and the eval rows of a run's metrics, apart. */
export function splitRows<E extends EvalRowBase, M extends StepMetrics>(rows: readonly MetricRow<E, M>[]): { train: (TrainRow & M)[]; evals: E[] } {
  return {
    train: rows.filter((r): r is TrainRow & M => r.type === "train"),
    evals: rows.filter((r): r is E => r.type === "eval"),
  };
}

/** One line of a panel: `value` of each row against its step (rows without a finite value left out). */
export function series<R extends { step: number }>(rows: readonly R[], name: string, value: (r: R) => number | undefined): Series {
  return {
    name,
    points: rows.flatMap((r) => {
      const v = value(r);
      return v === undefined || !Number.isFinite(v) ? [] : [[r.step, v] as const];
    }),
  };
}

/** The two panels every run has: its training loss (log scale) and the learning rate. */
export function lossAndLrPanels(train: readonly TrainRow[], lossTitle: string): Panel[] {
  return [
    { title: lossTitle, xLabel: "step", series: [series(train, "loss", (r) => r.loss)], logY: true },
    { title: "learning rate", xLabel: "step", series: [series(train, "lr", (r) => r.lr)] },
  ];
}
