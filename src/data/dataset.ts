/**
 * What every image-caption dataset hands the loader: a key, where the image is (a file path,
 * read by the decoding worker itself, or bytes already read from a shard) and the caption.
 * Images are never decoded here; that is the loader's job, in worker threads.
 */
export interface ImageTextSample {
  /** Stable identifier: the manifest row's image path, the file's relative path, the tar key. */
  key: string;
  image: string | Buffer;
  caption: string;
  /**
   * All of the row's captions when it has several (`caption` is the first): the loader draws
   * one per epoch, evaluation counts each as a caption of the image.
   */
  captions?: readonly string[];
  /** The class name, when the dataset was opened with a label column (manifest `labelKey`). */
  label?: string;
}

/**
 * Why a sample was dropped instead of yielded: an `ImageDecodeError` reason, a missing file,
 * or a WebDataset group that lacks an image or a caption.
 */
export type SkipReason =
  | "not-an-image"
  | "truncated"
  | "too-many-pixels"
  | "too-large"
  | "corrupt"
  | "missing"
  | "no-image"
  | "no-caption"
  | "bad-shard";

export interface SkippedSample {
  key: string;
  reason: SkipReason;
  message: string;
}

/**
 * A dataset with random access (manifests, folders): the loader shuffles the indices
 * `0..size-1` per epoch. Only paths and captions are held, never pixels.
 */
export interface IndexedDataset {
  readonly kind: "indexed";
  readonly size: number;
  /** The sample at `index` in stored order, or why it cannot be used (an empty caption file). */
  get(index: number): Promise<ImageTextSample | SkippedSample>;
}

/**
 * A dataset readable only front to back, one shard at a time (WebDataset tars): the loader
 * shuffles the shard order and mixes samples through a bounded buffer.
 */
export interface ShardedDataset {
  readonly kind: "sharded";
  readonly shards: readonly string[];
  /** The samples of one shard in stored order; groups that cannot be used come as skips. */
  readShard(shard: number): AsyncIterable<ImageTextSample | SkippedSample>;
}

export type ImageTextDataset = IndexedDataset | ShardedDataset;

export function isSkipped(item: ImageTextSample | SkippedSample): item is SkippedSample {
  return "reason" in item;
}

/**
 * Every sample in stored order (skips left out), without decoding anything.
 *
 * @example
 * for await (const s of samples(await openManifest("train.csv"))) console.log(s.key, s.caption);
 */
export async function* samples(dataset: ImageTextDataset): AsyncGenerator<ImageTextSample> {
  if (dataset.kind === "indexed") {
    for (let i = 0; i < dataset.size; i++) {
      const item = await dataset.get(i);
      if (!isSkipped(item)) yield item;
    }
    return;
  }
  for (let s = 0; s < dataset.shards.length; s++) {
    for await (const item of dataset.readShard(s)) if (!isSkipped(item)) yield item;
  }
}
