/**
 * Worker thread body for `ImageTextLoader`: decode one image, run the named transform with a
 * generator seeded for that sample, post the pixels back (transferred, not copied). Decode
 * failures are answers, not crashes; anything else is a bug and is reported as fatal.
 */
import { parentPort, workerData } from "node:worker_threads";
import { ImageDecodeError, NotFoundError } from "../errors.js";
import { decodeSource } from "../image/decode.js";
import { Generator } from "../tensor/random.js";
import type { DecodeRequest, DecodeResult, DecodeWorkerData } from "./decode-protocol.js";
import { createTransform } from "./transform.js";

const { transform: spec, maxPixels } = workerData as DecodeWorkerData;
const transform = createTransform(spec);
const port = parentPort!;

port.on("message", async ({ image, seed }: DecodeRequest) => {
  let result: DecodeResult;
  const transfer: ArrayBuffer[] = [];
  try {
    const source = typeof image === "string" ? image : Buffer.from(image.buffer, image.byteOffset, image.byteLength);
    const pixels = await transform(await decodeSource(source, { maxPixels }), new Generator(seed));
    const data = pixels.data as Float32Array;
    result = { ok: true, data, shape: [pixels.shape[1], pixels.shape[2], pixels.shape[3]] };
    transfer.push(data.buffer as ArrayBuffer);
  } catch (err) {
    if (err instanceof ImageDecodeError) result = { ok: false, reason: err.reason, message: err.message };
    else if (err instanceof NotFoundError) result = { ok: false, reason: "missing", message: err.message };
    else result = { ok: false, fatal: true, message: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  }
  port.postMessage(result, transfer);
});
