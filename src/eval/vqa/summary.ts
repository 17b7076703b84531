/** What the benchmark scorers report: means and accuracies by group. */

/** A mean score and how many questions it is over. */
export interface Accuracy {
  accuracy: number;
  count: number;
}

/** Left-to-right sum over count, as Python's `sum(l) / len(l)`; NaN for no values. */
export function mean(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** Mean score per group, groups in order of first appearance. */
export function accuracyBy<T>(items: readonly T[], group: (item: T) => string, score: (item: T) => number): Record<string, Accuracy> {
  const scores = new Map<string, number[]>();
  for (const item of items) {
    const key = group(item);
    const list = scores.get(key);
    if (list) list.push(score(item));
    else scores.set(key, [score(item)]);
  }
  return Object.fromEntries([...scores].map(([key, list]) => [key, { accuracy: mean(list), count: list.length }]));
}
