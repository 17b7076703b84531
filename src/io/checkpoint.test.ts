import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, test } from "node:test";
import { FileFormatError, NotFoundError, StateDictError } from "../errors.js";
import { HalfTensor, Tensor, tensor } from "../tensor/index.js";
import { assertClose } from "../../test/support/assert.js";
import { Checkpoint } from "./checkpoint.js";
import { saveSafetensors } from "./write.js";
import { saveSafetensorsSharded } from "./sharded.js";
import { loadTorchCheckpoint } from "./torch/index.js";

const dir = mkdtempSync(join(tmpdir(), "vlm-checkpoint-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const TENSORS = {
  "a.weight": tensor([[1.5, -2], [0.25, 4]]),
  "a.bias": tensor([1, 2]),
  "b.table": tensor([[3, 1, 4]]),
};

/** A folder with TENSORS as `dtype`; sharded puts each tensor in a shard of its own. */
function folder(name: string, dtype: "F32" | "F16" | "BF16", sharded = false): string {
  const path = join(dir, name);
  mkdirSync(path);
  if (sharded) saveSafetensorsSharded(path, TENSORS, { dtype, maxShardBytes: 1 });
  else saveSafetensors(join(path, "model.safetensors"), TENSORS, { dtype });
  return path;
}

describe("Checkpoint", () => {
  test("F16 and BF16 stay 16-bit with dtype auto, upcast with float32; float32() always upcasts", () => {
    for (const dtype of ["F16", "BF16"] as const) {
      const path = folder(`half-${dtype}`, dtype);
      const held = Checkpoint.open(path).weight("a.weight", [2, 2]);
      assert.ok(held instanceof HalfTensor && held.kind === dtype.toLowerCase());
      assertClose(held.toFloat32(), TENSORS["a.weight"], { atol: 0, rtol: 0 });
      assert.ok(Checkpoint.open(path, { dtype: "float32" }).weight("a.weight", [2, 2]) instanceof Tensor);
      assert.ok(Checkpoint.open(path).float32("a.weight") instanceof Tensor);
    }
    assert.ok(Checkpoint.open(folder("f32", "F32")).weight("a.weight", [2, 2]) instanceof Tensor);
  });

  test("strict: a missing or mis-shaped key, and keys nothing read, are StateDictErrors naming them", () => {
    const path = folder("strict", "F32");
    const checkpoint = Checkpoint.open(path);
    assert.throws(() => checkpoint.float32("a.nothing"), { name: "StateDictError", message: /missing keys: a\.nothing/ });
    assert.throws(() => checkpoint.float32("a.bias", [3]), (e) => e instanceof StateDictError && e.message.includes(`a.bias: expected [3], got [2] (${join(path, "model.safetensors")})`));
    assert.deepEqual(checkpoint.shape("b.table"), [1, 3]);
    checkpoint.float32("a.weight", [2, 2]);
    checkpoint.skip("a.bias");
    // shape() reads no data, so b.table is still unaccounted for.
    assert.throws(() => checkpoint.finish(), { name: "StateDictError", message: /unexpected keys: b\.table$/ });
  });

  test("rename maps stored names to the model's, drops nulls, and refuses two names for one key", () => {
    const checkpoint = Checkpoint.open(folder("rename", "F32")).rename((k) => (k === "b.table" ? null : `model.${k}`));
    assert.deepEqual(checkpoint.keys().sort(), ["model.a.bias", "model.a.weight"]);
    assert.deepEqual(checkpoint.keys("model.a.b"), ["model.a.bias"]);
    const read = checkpoint.stateDictFor(new Map([["weight", { shape: [2, 2] }], ["bias", { shape: [2] }]]), "model.a.");
    assertClose(read.get("bias")!, [1, 2]);
    checkpoint.finish();
    assert.throws(() => Checkpoint.open(join(dir, "rename")).rename(() => "same"), (e) => e instanceof FileFormatError && /tensors "a\.\w+" and "[ab]\.\w+" both name the model's "same"/.test(e.message));
  });

  test("sharded folders read every tensor from its shard; the one file of a folder can be given directly", () => {
    const path = folder("sharded", "F32", true);
    const all = Checkpoint.open(path).readAll();
    assert.deepEqual([...all.keys()].sort(), Object.keys(TENSORS).sort());
    for (const [k, t] of Object.entries(TENSORS)) assertClose(all.get(k)!, t, { atol: 0, rtol: 0 });
    assert.equal(Checkpoint.open(path).files.length, 3);
    assert.deepEqual(Checkpoint.open(join(path, "model.safetensors.index.json")).keys().sort(), Object.keys(TENSORS).sort());
    assert.deepEqual(Checkpoint.open(join(dir, "f32", "model.safetensors")).files, [join(dir, "f32", "model.safetensors")]);
  });

  test("a shard that lacks a tensor its index names is a FileFormatError", () => {
    const path = folder("bad-shards", "F32", true);
    const index = { weight_map: { "a.weight": "model-00001-of-00003.safetensors", "b.table": "model-00001-of-00003.safetensors" } };
    writeFileSync(join(path, "model.safetensors.index.json"), JSON.stringify(index));
    assert.throws(() => Checkpoint.open(path), (e) => e instanceof FileFormatError && /"b\.table" is mapped to shard "model-00001-of-00003\.safetensors", which does not contain it/.test(e.message));
  });

  test("a PyTorch checkpoint reads as the torch reader reads it", () => {
    const file = fileURLToPath(new URL("../../test/fixtures/torch/openai_slice.pt", import.meta.url));
    const expected = loadTorchCheckpoint(file);
    const all = Checkpoint.open(file).readAll();
    assert.deepEqual([...all.keys()], [...expected.keys()]);
    for (const [k, t] of expected) assertClose(all.get(k)!, t, { atol: 0, rtol: 0 });
  });

  test("consume builds, checks every key was read, and closes the files even when the build throws", () => {
    const checkpoint = Checkpoint.open(folder("consume", "F32"));
    assert.throws(() => checkpoint.consume(() => {
      throw new Error("build failed");
    }), /build failed/);
    assert.throws(() => checkpoint.float32("a.bias"), "the file is closed");
    const value = Checkpoint.open(join(dir, "consume")).consume((c) => c.readAll().size);
    assert.equal(value, 3);
    assert.throws(() => Checkpoint.open(join(dir, "consume")).consume((c) => c.float32("a.bias")), { name: "StateDictError" });
  });

  test("what is not a checkpoint: NotFoundError and FileFormatError naming the path", () => {
    const empty = join(dir, "empty");
    mkdirSync(empty);
    assert.throws(() => Checkpoint.open(empty), (e) => e instanceof NotFoundError && e.message.startsWith(`${empty}: no weights`) && e.message.includes("pytorch_model.bin"));
    assert.throws(() => Checkpoint.open(join(dir, "nowhere")), NotFoundError);
    const onnx = join(dir, "model.onnx");
    writeFileSync(onnx, "x");
    assert.throws(() => Checkpoint.open(onnx), (e) => e instanceof FileFormatError && /unknown weights format "\.onnx"/.test(e.message));
  });
});
