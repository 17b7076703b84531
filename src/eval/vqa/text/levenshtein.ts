/**
 * Edit distance (insertions, deletions, substitutions, each costing 1) over code points, as
 * Python's `editdistance.eval` and the DocVQA script's own function count it.
 *
 * @example
 * levenshtein("kitten", "sitting");   // 3
 */
export function levenshtein(a: string, b: string): number {
  const s = [...a];
  const t = [...b];
  if (s.length < t.length) return levenshtein(b, a);
  let previous = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const current = [i];
    for (let j = 1; j <= t.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (s[i - 1] === t[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[t.length];
}
