import { lossAndLrPanels, series, splitRows } from "../curves.js";
import type { Panel } from "../plot.js";
import type { ClipMetricRow } from "./evaluate.js";

/** The panels of a CLIP run's curves.png: loss, learning rate, temperature, held-out metrics. */
export function clipCurvePanels(rows: readonly ClipMetricRow[]): Panel[] {
  const { train, evals } = splitRows(rows);
  const panels: Panel[] = [
    ...lossAndLrPanels(train, "contrastive loss (train)"),
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
