// Its own file so that it runs in its own process (node --test runs one per file): the peak
// RSS it measures is then not inflated by other tests.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadSafetensors } from "./index.js";

const MB = 1 << 20;
const TENSORS = 4;
const TENSOR_BYTES = 50 * MB;

const dir = mkdtempSync(join(tmpdir(), "vlmkit-mem-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Writes a 200 MB F32 file from a 1 MB pattern, so the test itself never holds the data. */
function writeLargeFile(path: string): void {
  const header: Record<string, unknown> = {};
  for (let t = 0; t < TENSORS; t++) {
    header[`w${t}`] = { dtype: "F32", shape: [TENSOR_BYTES / 4], data_offsets: [t * TENSOR_BYTES, (t + 1) * TENSOR_BYTES] };
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - (json.length % 8)) % 8);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  const pattern = Float32Array.from({ length: MB / 4 }, (_, i) => i);
  const fd = openSync(path, "w");
  try {
    writeSync(fd, prefix);
    writeSync(fd, json);
    for (let i = 0; i < (TENSORS * TENSOR_BYTES) / MB; i++) writeSync(fd, pattern);
  } finally {
    closeSync(fd);
  }
}

test("loading a 200 MB file peaks well under twice its size", () => {
  const path = join(dir, "large.safetensors");
  writeLargeFile(path);
  const fileSize = statSync(path).size;

  const before = process.memoryUsage();
  const weights = loadSafetensors(path);
  const peakRss = process.resourceUsage().maxRSS * 1024;
  const now = process.memoryUsage();

  // Sanity: the data really was loaded (and is right), so the bounds below mean something.
  assert.equal(weights.size, TENSORS);
  const w3 = weights.get("w3")!.f32();
  assert.equal(w3.length, TENSOR_BYTES / 4);
  assert.equal(w3[12345], 12345);
  assert.equal(w3[w3.length - 1], MB / 4 - 1);

  const buffersGrowth = now.arrayBuffers - before.arrayBuffers;
  const peakGrowth = peakRss - before.rss;
  const detail = `file ${(fileSize / MB).toFixed(0)} MB, array buffers +${(buffersGrowth / MB).toFixed(0)} MB, peak RSS +${(peakGrowth / MB).toFixed(0)} MB`;
  assert.ok(buffersGrowth < 1.2 * fileSize, `tensors hold more than the file: ${detail}`);
  // Reading the whole file and then copying it out would peak at about 2x.
  assert.ok(peakGrowth < 1.5 * fileSize, `peak memory near twice the file: ${detail}`);
  assert.ok(peakGrowth > 0.8 * fileSize, `measurement looks broken: ${detail}`);
});
