// onnxruntime-node baseline for bench/vit.ts, in its own process: onnxruntime's API is
// asynchronous (the benches are synchronous) and its thread pool must not share a process with
// the native addon's spinning workers. Same timing rule as bench/lib.ts: after 2 warm-ups, 5
// batches of >= 150 ms, the fastest batch's mean.
//
// stdin: {"model": "path.onnx", "threads": n, "inputs": {"name": [shape...]}}
// stdout: one JSON line {"backend": "onnxruntime", "threads": n, "ms": ..., "version": ...}
import { readFileSync } from "node:fs";
import * as ort from "onnxruntime-node";

const req = JSON.parse(readFileSync(0, "utf8"));
const session = await ort.InferenceSession.create(req.model, {
  intraOpNumThreads: req.threads,
  interOpNumThreads: 1,
  executionMode: "sequential",
  graphOptimizationLevel: "all",
});
const feeds = {};
let seed = 1;
for (const [name, shape] of Object.entries(req.inputs)) {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    data[i] = seed / 2147483648 - 1;
  }
  feeds[name] = new ort.Tensor("float32", data, shape);
}
const run = () => session.run(feeds);
await run();
await run();
let best = Infinity;
for (let batch = 0; batch < 5; batch++) {
  let calls = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  do {
    await run();
    calls++;
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  } while (elapsed * 1000 < (req.minBatchMs ?? 150));
  best = Math.min(best, elapsed / calls);
}
console.log(JSON.stringify({ backend: "onnxruntime", threads: req.threads, ms: best * 1e3, version: ort.env.versions?.node }));
await session.release();
