import type { SkipReason } from "./dataset.js";
import type { TransformSpec } from "./transform.js";

/** What every decode worker is started with. */
export interface DecodeWorkerData {
  transform: TransformSpec;
  maxPixels?: number;
}

/** One image to decode: a path the worker reads itself, or bytes from a shard. */
export interface DecodeRequest {
  image: string | Uint8Array;
  /** Seeds the sample's augmentation (see `mixSeed`). */
  seed: number;
}

export type DecodeResult =
  | { ok: true; data: Float32Array; shape: [number, number, number] }
  | { ok: false; reason: SkipReason; message: string; fatal?: undefined }
  | { ok: false; fatal: true; message: string };
