/**
 * Image-text retrieval metrics, as the CLIP paper and open_clip report them: for each query the
 * rank of its best correct match (1 = first), then Recall@K (share of queries whose rank <= K),
 * mean and median rank. Scores are computed in row chunks, so 100k x 100k items never need the
 * full similarity matrix in memory.
 */
import { ArgumentError } from "../errors.js";
import { type Tensor, matmul, noGrad, slice } from "../tensor/index.js";

export interface RankSummary {
  /** Recall@K for each K asked, as a fraction in [0, 1]. */
  recall: Record<number, number>;
  meanRank: number;
  medianRank: number;
}

export interface RetrievalResult {
  imageToText: RankSummary;
  textToImage: RankSummary;
}

export const DEFAULT_KS = [1, 5, 10] as const;

/** Rows per chunk so that a chunk of scores stays near 16M floats (64 MB). */
function chunkRows(columns: number): number {
  return Math.max(1, Math.floor(16_000_000 / Math.max(1, columns)));
}

/**
 * For each query row, the rank of its best correct column: 1 + the number of columns scoring
 * strictly higher than the best-scoring correct one (ties count in the query's favour).
 */
function bestRanks(queries: Tensor, keys: Tensor, correct: (row: number) => readonly number[]): Int32Array {
  const n = queries.shape[0];
  const m = keys.shape[0];
  const ranks = new Int32Array(n);
  const step = chunkRows(m);
  noGrad(() => {
    for (let start = 0; start < n; start += step) {
      const end = Math.min(n, start + step);
      const scores = matmul(slice(queries, 0, start, end), keys, { transB: true }).f32(); // [rows, M]
      for (let r = start; r < end; r++) {
        const row = (r - start) * m;
        const targets = correct(r);
        if (targets.length === 0) throw new ArgumentError(`retrieval: query ${r} has no correct match`);
        let best = -Infinity;
        for (const t of targets) best = Math.max(best, scores[row + t]);
        let above = 0;
        for (let j = 0; j < m; j++) if (scores[row + j] > best) above++;
        ranks[r] = above + 1;
      }
    }
  });
  return ranks;
}

export function summariseRanks(ranks: Int32Array, ks: readonly number[] = DEFAULT_KS): RankSummary {
  const sorted = Int32Array.from(ranks).sort();
  const n = sorted.length;
  const recall: Record<number, number> = {};
  for (const k of ks) recall[k] = n === 0 ? NaN : ranks.reduce((c, r) => c + (r <= k ? 1 : 0), 0) / n;
  const median = n === 0 ? NaN : n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  return { recall, meanRank: n === 0 ? NaN : ranks.reduce((s, r) => s + r, 0) / n, medianRank: median };
}

/**
 * Retrieval between N images and M captions, `captionImage[j]` = the image caption j describes
 * (an image may have several captions). Embeddings must be L2-normalised.
 *
 * @example
 * const r = retrievalMetrics(imageEmbeds, textEmbeds, Int32Array.from([0, 0, 1, 2]));
 * r.textToImage.recall[10];   // share of captions whose image is in the top 10
 */
export function retrievalMetrics(
  imageEmbeds: Tensor, textEmbeds: Tensor, captionImage: ArrayLike<number>, ks: readonly number[] = DEFAULT_KS,
): RetrievalResult {
  const n = imageEmbeds.shape[0];
  const m = textEmbeds.shape[0];
  if (captionImage.length !== m) throw new ArgumentError(`retrieval: ${m} captions but ${captionImage.length} caption->image links`);
  const captionsOf: number[][] = Array.from({ length: n }, () => []);
  for (let j = 0; j < m; j++) {
    const i = captionImage[j];
    if (!(i >= 0 && i < n)) throw new ArgumentError(`retrieval: caption ${j} points at image ${i}, outside 0..${n - 1}`);
    captionsOf[i].push(j);
  }
  const imageRanks = bestRanks(imageEmbeds, textEmbeds, (i) => captionsOf[i]);
  const textRanks = bestRanks(textEmbeds, imageEmbeds, (j) => [captionImage[j]]);
  return { imageToText: summariseRanks(imageRanks, ks), textToImage: summariseRanks(textRanks, ks) };
}
