import type { Panel } from "../plot.js";
import type { EvalRow, MetricRow, TrainRow } from "./metrics.js";

/** The panels of a CLIP run's curves.png: loss, learning rate, temperature, held-out metrics. */
export function clipCurvePanels(rows: readonly MetricRow[]): Panel[] {
  const train = rows.filter((r): r is TrainRow => r.type === "train");
  const evals = rows.filter((r): r is EvalRow => r.type === "eval");
  const series = <R extends MetricRow>(list: readonly R[], name: string, value: (r: R) => number | undefined) => ({
    name,
    points: list.flatMap((r) => {
      const v = value(r);
      return v === undefined || !Number.isFinite(v) ? [] : [[r.step, v] as const];
    }),
  });
  const panels: Panel[] = [
    { title: "contrastive loss (train)", xLabel: "step", series: [series(train, "loss", (r) => r.loss)], logY: true },
    { title: "learning rate", xLabel: "step", series: [series(train, "lr", (r) => r.lr)] },
    { title: "logit scale exp(t)", xLabel: "step", series: [series(train, "exp(t)", (r) => r.logitScale)] },
  ];
  if (evals.length > 0) {
    const evalSeries = [
      series(evals, "zero-shot top-1", (r) => r.top1),
      series(evals, "zero-shot top-5", (r) => r.top5),
      series(evals, "text->image R@1", (r) => r.textToImageR1),
      series(evals, "text->image R@10", (r) => r.textToImageR10),
    ].filter((s) => s.points.length > 0);
    panels.push({ title: "held-out evaluation", xLabel: "step", series: evalSeries });
  }
  return panels;
}
