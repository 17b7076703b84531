/** The evaluation reports of run.ts as terminal tables. */
import type { RetrievalReport, TemplateRow, ZeroShotReport } from "./run.js";
import { formatTable, percent } from "./table.js";

/** Overall accuracy, then the `worst` classes by top-1 (the ones worth looking at). */
export function formatZeroShotTable(r: ZeroShotReport, worst = 10): string {
  const summary = formatTable(
    ["images", "classes", "templates", "top-1", "top-5", "mean per-class top-1", "chance top-1"],
    [[r.count, r.classes, r.templates, percent(r.top1), percent(r.top5), percent(r.meanPerClassTop1), percent(r.chance.top1)]],
  );
  const present = r.perClass.filter((c) => c.count > 0).sort((a, b) => a.top1 - b.top1 || b.count - a.count);
  const classes = formatTable(
    ["class", "images", "top-1", "top-5"],
    present.slice(0, worst).map((c) => [c.label, c.count, percent(c.top1), percent(c.top5)]),
  );
  const skipped = r.skippedImages ? `\n(${r.skippedImages} images could not be decoded and were left out)` : "";
  return `${summary}\n\nlowest top-1 classes (${Math.min(worst, present.length)} of ${present.length}):\n${classes}${skipped}`;
}

export function formatRetrievalTable(r: RetrievalReport): string {
  const row = (name: string, s: RetrievalReport["imageToText"]) => [
    name, percent(s.recall[1]), percent(s.recall[5]), percent(s.recall[10]), s.meanRank, s.medianRank,
  ];
  const table = formatTable(
    ["direction", "R@1", "R@5", "R@10", "mean rank", "median rank"],
    [row("image -> text", r.imageToText), row("text -> image", r.textToImage)],
  );
  const skipped = r.skippedImages ? `, ${r.skippedImages} undecodable images left out` : "";
  return `${r.images} images, ${r.captions} captions${skipped}\n${table}`;
}

export function formatTemplateTable(rows: readonly TemplateRow[]): string {
  return formatTable(["prompt", "templates", "top-1", "top-5"], rows.map((r) => [r.setting, r.templates, percent(r.top1), percent(r.top5)]));
}
