import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileFormatError, NotFoundError } from "../errors.js";
import { Tensor } from "../tensor/tensor.js";
import {
  INDEX_FILE, loadSafetensors, loadSafetensorsSharded, loadWeights, readSafetensorsHeader, saveSafetensors,
  saveSafetensorsSharded,
} from "./index.js";

const root = mkdtempSync(join(tmpdir(), "vlmkit-shard-"));
after(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
const freshDir = () => {
  const dir = join(root, `d${counter++}`);
  mkdirSync(dir);
  return dir;
};

const ramp = (n: number, start = 0) => new Tensor(Float32Array.from({ length: n }, (_, i) => start + i), [n]);

// 100 + 100 + 300 + 50 floats = 400 + 400 + 1200 + 200 bytes.
const model = () => new Map<string, Tensor>([
  ["embed.weight", ramp(100)],
  ["layers.0.weight", ramp(100, 1000)],
  ["layers.1.weight", ramp(300, 2000)],
  ["head.bias", ramp(50, 3000)],
  ["steps", new Tensor(BigInt64Array.of(42n), [])],
]);

test("sharded round trip: shards fill in order, a large tensor gets its own, index written last", () => {
  const dir = freshDir();
  saveSafetensorsSharded(dir, model(), { maxShardBytes: 1000, metadata: { format: "pt" } });
  const files = readdirSync(dir).sort();
  assert.deepEqual(files, [
    "model-00001-of-00003.safetensors",
    "model-00002-of-00003.safetensors",
    "model-00003-of-00003.safetensors",
    INDEX_FILE,
  ]);
  const index = JSON.parse(readFileSync(join(dir, INDEX_FILE), "utf8"));
  assert.deepEqual(index, {
    metadata: { total_size: 2208 },
    weight_map: {
      "embed.weight": "model-00001-of-00003.safetensors",
      "head.bias": "model-00003-of-00003.safetensors",
      "layers.0.weight": "model-00001-of-00003.safetensors",
      "layers.1.weight": "model-00002-of-00003.safetensors",
      steps: "model-00003-of-00003.safetensors",
    },
  });
  assert.deepEqual(Object.keys(index.weight_map), Object.keys(index.weight_map).sort());
  assert.equal(readSafetensorsHeader(join(dir, "model-00002-of-00003.safetensors")).metadata.format, "pt");

  const loaded = loadSafetensorsSharded(join(dir, INDEX_FILE));
  const expected = model();
  assert.equal(loaded.size, expected.size);
  for (const [name, t] of expected) {
    assert.deepEqual(loaded.get(name)!.shape, t.shape, name);
    assert.deepEqual(loaded.get(name)!.data, t.data, name);
  }
  assert.deepEqual([...loadWeights(dir).keys()].sort(), [...expected.keys()].sort());
  assert.deepEqual([...loadSafetensorsSharded(join(dir, INDEX_FILE), { names: ["head.bias"] }).keys()], ["head.bias"]);
});

test("sharded save with F16 storage sizes shards by the stored bytes", () => {
  const dir = freshDir();
  saveSafetensorsSharded(dir, model(), { maxShardBytes: 1000, dtype: "F16" });
  const index = JSON.parse(readFileSync(join(dir, INDEX_FILE), "utf8"));
  assert.equal(index.metadata.total_size, 1108); // 550 floats * 2 + one int64
  assert.equal(new Set(Object.values(index.weight_map)).size, 2);
  const loaded = loadWeights(dir);
  assert.deepEqual(loaded.get("embed.weight")!.toFlatArray(), ramp(100).toFlatArray());
  // Above 2048 F16 steps by 2: 2049 and 2051 are ties, rounded to the even mantissa.
  assert.deepEqual(loaded.get("layers.1.weight")!.toFlatArray().slice(48, 52), [2048, 2048, 2050, 2052]);
});

test("a missing shard is a FileFormatError on the index naming shard and tensor", () => {
  const dir = freshDir();
  saveSafetensorsSharded(dir, model(), { maxShardBytes: 1000 });
  rmSync(join(dir, "model-00002-of-00003.safetensors"));
  const indexPath = join(dir, INDEX_FILE);
  assert.throws(() => loadSafetensorsSharded(indexPath), (e: unknown) => {
    assert.ok(e instanceof FileFormatError);
    assert.equal(e.file, indexPath);
    assert.match(e.message, /tensor "layers.1.weight": shard "model-00002-of-00003.safetensors" does not exist/);
    return true;
  });
});

test("a tensor missing from its shard, a shard outside the folder and a bad index are FileFormatErrors", () => {
  const dir = freshDir();
  saveSafetensors(join(dir, "a.safetensors"), { x: ramp(2) });
  const indexPath = join(dir, INDEX_FILE);
  const writeIndex = (index: unknown) => writeFileSync(indexPath, JSON.stringify(index));

  writeIndex({ weight_map: { x: "a.safetensors", y: "a.safetensors" } });
  assert.throws(() => loadSafetensorsSharded(indexPath), (e: unknown) =>
    e instanceof FileFormatError && /tensor "y" is mapped to shard "a.safetensors", which does not contain it/.test(e.message));

  writeIndex({ weight_map: { x: "../a.safetensors" } });
  assert.throws(() => loadSafetensorsSharded(indexPath), /shard "..\/a.safetensors" is not a file inside the index's folder/);

  writeIndex({ metadata: {} });
  assert.throws(() => loadSafetensorsSharded(indexPath), (e: unknown) => e instanceof FileFormatError && /needs a "weight_map"/.test(e.message));

  writeIndex({ weight_map: { x: 3 } });
  assert.throws(() => loadSafetensorsSharded(indexPath), /tensor "x": shard must be a file name, got 3/);

  writeFileSync(indexPath, "{oops");
  assert.throws(() => loadSafetensorsSharded(indexPath), (e: unknown) => e instanceof FileFormatError && /not valid JSON/.test(e.message));

  writeIndex({ weight_map: { x: "a.safetensors" } });
  assert.throws(() => loadSafetensorsSharded(indexPath, { names: ["z"] }), (e: unknown) => e instanceof NotFoundError && /"z"/.test(e.message));
  assert.deepEqual(loadSafetensorsSharded(indexPath).get("x")!.toFlatArray(), [0, 1]);
});

test("loadWeights prefers model.safetensors, accepts files directly, and names what it looked for", () => {
  const dir = freshDir();
  assert.throws(() => loadWeights(dir), (e: unknown) => e instanceof NotFoundError && e.message.includes("model.safetensors.index.json"));
  assert.throws(() => loadWeights(join(dir, "nothing")), NotFoundError);

  saveSafetensorsSharded(dir, { a: ramp(1) }, { maxShardBytes: 1e9 });
  saveSafetensors(join(dir, "model.safetensors"), { b: ramp(1) });
  assert.deepEqual([...loadWeights(dir).keys()], ["b"]);
  assert.deepEqual([...loadWeights(join(dir, INDEX_FILE)).keys()], ["a"]);
  assert.deepEqual([...loadWeights(join(dir, "model-00001-of-00001.safetensors")).keys()], ["a"]);
  assert.deepEqual([...loadSafetensors(join(dir, "model.safetensors")).keys()], ["b"]);
});

test("maxShardBytes must be positive", () => {
  assert.throws(() => saveSafetensorsSharded(freshDir(), { a: ramp(1) }, { maxShardBytes: 0 }), /maxShardBytes must be a positive number/);
});
