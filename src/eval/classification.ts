/**
 * Zero-shot classification metrics: top-1 / top-5 accuracy over all images, and per class
 * (with the mean of the per-class accuracies, which weighs rare classes as much as common ones).
 */
import { ArgumentError } from "../errors.js";
import { type Tensor, matmul, noGrad, slice } from "../tensor/index.js";

export interface ClassAccuracy {
  label: string;
  count: number;
  top1: number;
  top5: number;
}

export interface ClassificationResult {
  count: number;
  top1: number;
  top5: number;
  /** Mean over classes that have at least one image. */
  meanPerClassTop1: number;
  perClass: ClassAccuracy[];
  /** Accuracy of guessing: 1 / classes (top-1), min(5, classes) / classes (top-5). */
  chance: { top1: number; top5: number };
}

/**
 * Scores normalised image embeddings [N, E] against class embeddings [C, E]; `labels[i]` is
 * image i's class index. Chunked over images.
 */
export function classificationMetrics(imageEmbeds: Tensor, classEmbeds: Tensor, labels: ArrayLike<number>, classNames: readonly string[]): ClassificationResult {
  const n = imageEmbeds.shape[0];
  const c = classEmbeds.shape[0];
  if (labels.length !== n) throw new ArgumentError(`classification: ${n} images but ${labels.length} labels`);
  if (classNames.length !== c) throw new ArgumentError(`classification: ${c} class embeddings but ${classNames.length} names`);
  const hits1 = new Float64Array(c);
  const hits5 = new Float64Array(c);
  const counts = new Float64Array(c);
  const step = Math.max(1, Math.floor(16_000_000 / c));
  noGrad(() => {
    for (let start = 0; start < n; start += step) {
      const end = Math.min(n, start + step);
      const scores = matmul(slice(imageEmbeds, 0, start, end), classEmbeds, { transB: true }).f32();
      for (let i = start; i < end; i++) {
        const y = labels[i];
        if (!(y >= 0 && y < c)) throw new ArgumentError(`classification: label ${y} of image ${i} is not a class index`);
        const row = (i - start) * c;
        const target = scores[row + y];
        // Rank of the true class: classes scoring strictly higher (ties in its favour).
        let above = 0;
        for (let j = 0; j < c; j++) if (scores[row + j] > target) above++;
        counts[y]++;
        if (above < 1) hits1[y]++;
        if (above < 5) hits5[y]++;
      }
    }
  });
  const perClass: ClassAccuracy[] = classNames.map((label, j) => ({
    label, count: counts[j], top1: counts[j] ? hits1[j] / counts[j] : NaN, top5: counts[j] ? hits5[j] / counts[j] : NaN,
  }));
  const present = perClass.filter((p) => p.count > 0);
  const sum = (a: Float64Array) => a.reduce((s, v) => s + v, 0);
  return {
    count: n,
    top1: n ? sum(hits1) / n : NaN,
    top5: n ? sum(hits5) / n : NaN,
    meanPerClassTop1: present.length ? present.reduce((s, p) => s + p.top1, 0) / present.length : NaN,
    perClass,
    chance: { top1: 1 / c, top5: Math.min(5, c) / c },
  };
}
