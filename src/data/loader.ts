import { availableParallelism } from "node:os";
import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import { ArgumentError, ShapeError, VlmError } from "../errors.js";
import { Generator } from "../tensor/random.js";
import { Tensor } from "../tensor/tensor.js";
import {
  type ImageTextDataset,
  type ImageTextSample,
  isSkipped,
  type ShardedDataset,
  type SkippedSample,
  type SkipReason,
} from "./dataset.js";
import type { DecodeRequest, DecodeResult, DecodeWorkerData } from "./decode-protocol.js";
import { WorkerPool } from "./pool.js";
import { mixSeed, permutation } from "./seed.js";
import type { TransformSpec } from "./transform.js";

export interface LoaderOptions {
  batchSize: number;
  /** Seeds the epoch order and every sample's augmentation; default 0. */
  seed?: number;
  /** Default true; false keeps the stored order (evaluation). */
  shuffle?: boolean;
  /** Default `{ name: "clip" }`, the evaluation preprocessing at 224 px. */
  transform?: TransformSpec;
  /** Decode threads; default one less than the cores, at least 1. */
  workers?: number;
  /**
   * Samples handed to the workers ahead of the consumer; default 2 x batchSize. At most
   * `prefetch + batchSize` decoded samples exist at once (the window plus the batch being filled).
   */
  prefetch?: number;
  /** Sharded datasets only: samples held to mix shards; default 1000 (encoded bytes, not pixels). */
  shuffleBuffer?: number;
  /** Drop the last, smaller batch of an epoch; default false. */
  dropLast?: boolean;
  /** Pixel limit per image, see `decodeImage`. */
  maxPixels?: number;
  /** Called for each sample that is skipped; default one warning line on stderr. */
  onSkip?: (skip: SkippedSample) => void;
}

/** Where a run is: the epoch and the index, in that epoch's order, of the next sample to read. */
export interface LoaderPosition {
  epoch: number;
  index: number;
}

export interface LoaderStats {
  /** Samples read from the dataset (decoded or skipped). */
  seen: number;
  decoded: number;
  skipped: number;
  skippedByReason: Partial<Record<SkipReason, number>>;
}

export interface ImageTextBatch {
  /** [B, 3, H, W] float32, normalised. */
  pixelValues: Tensor;
  captions: string[];
  keys: string[];
  /** Each sample's class name, when the dataset was opened with a label column (else absent). */
  labels?: string[];
  /** Save this with a checkpoint; `epoch(position.epoch, { from: position.index })` resumes after this batch. */
  position: LoaderPosition;
}

interface DecodedSample {
  data: Float32Array;
  shape: [number, number, number];
  key: string;
  caption: string;
  label?: string;
}

interface Ordered {
  index: number;
  item: ImageTextSample | SkippedSample;
}

interface Pending {
  index: number;
  key: string;
  caption: string;
  label?: string;
  result: Promise<DecodeResult>;
}

const workerFile = new URL(`./decode-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

/**
 * Streams shuffled, decoded, preprocessed batches from an image-caption dataset.
 *
 * - Order: manifests and folders are shuffled per epoch as a permutation seeded by
 *   (seed, epoch); shards are read in a seeded order through a seeded bounded shuffle buffer.
 * - Decoding and the transform run in worker threads, each sample with a generator seeded by
 *   (seed, epoch, index): batches are the same whatever order the workers finish in.
 * - Memory: only `prefetch` samples are in flight; images that cannot be decoded are skipped,
 *   counted in `stats` and reported through `onSkip`.
 * - Each batch carries the position after it, from which `epoch()` resumes exactly.
 *
 * @example
 * const loader = new ImageTextLoader(await openManifest("train.csv"), {
 *   batchSize: 64, seed: 1, transform: { name: "random-resized-crop", size: 224 },
 * });
 * for (let epoch = start.epoch; epoch < 10; epoch++) {
 *   for await (const batch of loader.epoch(epoch, { from: epoch === start.epoch ? start.index : 0 })) {
 *     trainStep(batch.pixelValues, batch.captions); // save batch.position with the checkpoint
 *   }
 * }
 * await loader.close();
 */
export class ImageTextLoader {
  readonly stats: LoaderStats = { seen: 0, decoded: 0, skipped: 0, skippedByReason: {} };
  private readonly options: Required<Omit<LoaderOptions, "maxPixels">> & { maxPixels?: number };
  private pool: WorkerPool<DecodeRequest, DecodeResult> | null = null;

  constructor(
    readonly dataset: ImageTextDataset,
    options: LoaderOptions,
  ) {
    const o = {
      seed: 0,
      shuffle: true,
      transform: { name: "clip" } as TransformSpec,
      workers: Math.max(1, availableParallelism() - 1),
      prefetch: 2 * options.batchSize,
      shuffleBuffer: 1000,
      dropLast: false,
      onSkip: (s: SkippedSample) => console.warn(`[data] skipped ${s.key} (${s.reason}): ${s.message}`),
      ...options,
    };
    for (const name of ["batchSize", "workers", "prefetch", "shuffleBuffer"] as const) {
      if (!Number.isInteger(o[name]) || o[name] < 1) {
        throw new ArgumentError(`ImageTextLoader: ${name} must be a positive integer, got ${o[name]}`);
      }
    }
    this.options = o;
  }

  /**
   * The batches of one epoch, from sample `from` of that epoch's order (0 by default).
   * Samples before `from` are not decoded.
   */
  async *epoch(epoch: number, { from = 0 }: { from?: number } = {}): AsyncGenerator<ImageTextBatch> {
    if (!Number.isInteger(epoch) || epoch < 0) throw new ArgumentError(`ImageTextLoader.epoch: bad epoch ${epoch}`);
    if (!Number.isInteger(from) || from < 0) throw new ArgumentError(`ImageTextLoader.epoch: bad start index ${from}`);
    if (this.dataset.kind === "indexed" && from > this.dataset.size) {
      throw new ArgumentError(`ImageTextLoader.epoch: start index ${from} is past the end of the epoch (${this.dataset.size} samples)`);
    }
    const { batchSize, prefetch, dropLast } = this.options;
    this.pool ??= new WorkerPool<DecodeRequest, DecodeResult>(workerFile, this.options.workers, {
      transform: this.options.transform,
      maxPixels: this.options.maxPixels,
    } satisfies DecodeWorkerData);
    const pool = this.pool;
    const source = this.dataset.kind === "indexed" ? this.indexedOrder(epoch, from) : this.shardedOrder(this.dataset, epoch, from);

    const window: Pending[] = [];
    let exhausted = false;
    let next = from;
    let batch: DecodedSample[] = [];
    try {
      while (true) {
        while (!exhausted && window.length < prefetch) {
          const next = await source.next();
          if (next.done) {
            exhausted = true;
            break;
          }
          const { index, item } = next.value;
          if (isSkipped(item)) {
            window.push({ index, key: item.key, caption: "", result: Promise.resolve({ ok: false, reason: item.reason, message: item.message }) });
            continue;
          }
          const image = typeof item.image === "string" ? item.image : new Uint8Array(item.image);
          const result = pool.run({ image, seed: mixSeed(this.options.seed, epoch, index) });
          // Marked as handled now: if the consumer stops early and the pool is closed, these
          // rejections are nobody's to await.
          result.catch(() => undefined);
          window.push({ index, key: item.key, caption: drawCaption(item, mixSeed(this.options.seed, epoch, index, CAPTION_STREAM)), label: item.label, result });
        }
        const head = window.shift();
        if (!head) break;
        const result = await head.result;
        next = head.index + 1;
        this.stats.seen++;
        if (result.ok) {
          this.stats.decoded++;
          batch.push({ data: result.data, shape: result.shape, key: head.key, caption: head.caption, label: head.label });
        } else if (result.fatal) {
          throw new VlmError("E_DECODE_WORKER", `decoding ${head.key} failed in a worker: ${result.message}`);
        } else {
          this.skip({ key: head.key, reason: result.reason, message: result.message });
        }
        if (batch.length === batchSize) {
          yield makeBatch(batch, { epoch, index: next });
          batch = [];
        }
      }
      if (batch.length > 0 && !dropLast) yield makeBatch(batch, { epoch, index: next });
    } finally {
      await source.return(undefined);
    }
  }

  /** Ends the worker threads; the loader cannot be iterated after this. */
  async close(): Promise<void> {
    await this.pool?.close();
  }

  private skip(skip: SkippedSample): void {
    this.stats.skipped++;
    this.stats.skippedByReason[skip.reason] = (this.stats.skippedByReason[skip.reason] ?? 0) + 1;
    this.options.onSkip(skip);
  }

  private async *indexedOrder(epoch: number, from: number): AsyncGenerator<Ordered> {
    const dataset = this.dataset as Extract<ImageTextDataset, { kind: "indexed" }>;
    const order = this.options.shuffle ? permutation(dataset.size, new Generator(mixSeed(this.options.seed, epoch))) : null;
    for (let index = from; index < dataset.size; index++) {
      yield { index, item: await dataset.get(order ? order[index] : index) };
    }
  }

  /**
   * Shards in a seeded order, mixed through a bounded buffer (WebDataset's `shuffle(n)`).
   * The stream is a pure function of (seed, epoch), so resuming replays it up to `from`
   * without decoding: reading tar bytes is cheap next to decoding them.
   */
  private async *shardedOrder(dataset: ShardedDataset, epoch: number, from: number): AsyncGenerator<Ordered> {
    const { seed, shuffle, shuffleBuffer } = this.options;
    const shardOrder = shuffle ? permutation(dataset.shards.length, new Generator(mixSeed(seed, epoch, 0))) : null;
    const rng = new Generator(mixSeed(seed, epoch, 1));
    const buffer: ImageTextSample[] = [];
    let index = 0;
    const emit = (item: ImageTextSample | SkippedSample): Ordered | null => (index++ >= from ? { index: index - 1, item } : null);
    const takeRandom = (): ImageTextSample => {
      const j = rng.int(buffer.length);
      const picked = buffer[j];
      buffer[j] = buffer[buffer.length - 1];
      buffer.pop();
      return picked;
    };
    for (let s = 0; s < dataset.shards.length; s++) {
      for await (const item of dataset.readShard(shardOrder ? shardOrder[s] : s)) {
        let out: Ordered | null;
        if (isSkipped(item) || !shuffle) out = emit(item);
        else {
          buffer.push(item);
          out = buffer.length >= shuffleBuffer ? emit(takeRandom()) : null;
        }
        if (out) yield out;
      }
    }
    while (buffer.length > 0) {
      const out = emit(takeRandom());
      if (out) yield out;
    }
  }
}

/** Seeds the caption draw apart from the sample's augmentations (both keyed by seed, epoch, index). */
const CAPTION_STREAM = 1;

/** A row with several captions contributes one per epoch, drawn from where it is in the run. */
function drawCaption(sample: ImageTextSample, seed: number): string {
  const { captions } = sample;
  if (!captions || captions.length < 2) return sample.caption;
  return captions[new Generator(seed).int(captions.length)];
}

function makeBatch(
  samples: DecodedSample[],
  position: LoaderPosition,
): ImageTextBatch {
  const [C, H, W] = samples[0].shape;
  const plane = C * H * W;
  const odd = samples.find((s) => s.shape[0] !== C || s.shape[1] !== H || s.shape[2] !== W);
  if (odd) {
    throw new ShapeError(
      `ImageTextLoader: ${odd.key} came out [${odd.shape}], ${samples[0].key} [${C},${H},${W}]; use a transform with a fixed output size`,
    );
  }
  const data = new Float32Array(samples.length * plane);
  samples.forEach((s, i) => data.set(s.data, i * plane));
  return {
    pixelValues: new Tensor(data, [samples.length, C, H, W]),
    captions: samples.map((s) => s.caption),
    keys: samples.map((s) => s.key),
    ...(samples.every((s) => s.label !== undefined) && { labels: samples.map((s) => s.label!) }),
    position,
  };
}
