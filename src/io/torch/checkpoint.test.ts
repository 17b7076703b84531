import assert from "node:assert/strict";
import { closeSync, existsSync, openSync, readFileSync, readSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { FileFormatError, UnsafePickleError } from "../../errors.js";
import type { Tensor } from "../../tensor/tensor.js";
import { f16BitsToF32 } from "../half.js";
import { TorchScriptObject, loadTorchCheckpoint, readTorchCheckpoint } from "./index.js";

const FIXTURES = new URL("../../../test/fixtures/torch/", import.meta.url).pathname;
const REFERENCE = new URL("../../../../shared/reference/clip/tiny/openai-fp16.safetensors", import.meta.url).pathname;
const fixture = (name: string) => join(FIXTURES, name);

interface Expected {
  dtype: "float32" | "int32" | "int64";
  shape: number[];
  values: (number | string)[];
}
// Written by scripts/make_torch_fixtures.py from the tensors PyTorch itself saved.
const EXPECTED: Record<string, Record<string, Expected>> = JSON.parse(readFileSync(fixture("expected.json"), "utf8"));

function assertStateDict(actual: Map<string, Tensor>, expected: Record<string, Expected>) {
  assert.deepEqual([...actual.keys()].sort(), Object.keys(expected).sort());
  for (const [name, want] of Object.entries(expected)) {
    const tensor = actual.get(name)!;
    assert.equal(tensor.dtype, want.dtype, name);
    assert.deepEqual(tensor.shape, want.shape, name);
    const values = want.dtype === "int64" ? want.values.map((v) => BigInt(v)) : want.values;
    assert.deepEqual([...tensor.data], values, name);
  }
}

describe("loadTorchCheckpoint", () => {
  for (const name of ["dtypes.pt", "protocol4.pt", "deflated.pt", "views.pt", "zip64.pt", "module.pt", "wrapped.pt", "scripted.pt"]) {
    it(`matches what PyTorch saved in ${name}`, () => {
      assertStateDict(loadTorchCheckpoint(fixture(name)), EXPECTED[name]);
    });
  }

  it("gives each view of a shared storage its own contiguous copy, and tied tensors one Tensor", () => {
    const weights = loadTorchCheckpoint(fixture("views.pt"));
    assert.deepEqual((weights.get("transposed")!.toArray() as number[][])[0], [0, 6, 12, 18]);
    assert.deepEqual(weights.get("window")!.toArray(), [[8, 9, 10], [14, 15, 16]]);
    assert.notEqual(weights.get("base")!.data, weights.get("row")!.data);
    assert.equal(weights.get("tied_a"), weights.get("tied_b"));
  });

  it("upcasts float16 and bfloat16 exactly and keeps int64 beyond 2^53", () => {
    const weights = loadTorchCheckpoint(fixture("dtypes.pt"));
    assert.ok(weights.get("f16")!.data instanceof Float32Array);
    assert.ok(weights.get("bf16")!.data instanceof Float32Array);
    assert.equal(weights.get("i64")!.data[0], 2n ** 62n + 1n);
    assert.deepEqual(weights.get("scalar")!.shape, []);
    assert.deepEqual(weights.get("empty")!.shape, [0, 3]);
  });
});

describe("readTorchCheckpoint", () => {
  it("unwraps state_dict and keeps the rest of a training checkpoint", () => {
    const { root, stateDict, kind } = readTorchCheckpoint(fixture("wrapped.pt"));
    assert.equal(kind, "pickle");
    assert.deepEqual([...stateDict.keys()], ["encoder.weight", "encoder.bias"]);
    const top = root as Map<string, unknown>;
    assert.equal(top.get("epoch"), 7);
    assert.equal(top.get("lr"), 0.25);
    assert.equal(top.get("name"), "run-1");
    assert.deepEqual(top.get("steps"), [1, 2]);
    assert.equal((top.get("state_dict") as Map<string, Tensor>).get("encoder.bias"), stateDict.get("encoder.bias"));
  });

  it("reads a TorchScript archive's parameters and buffers, not its plain attributes", () => {
    const { root, stateDict, kind } = readTorchCheckpoint(fixture("scripted.pt"));
    assert.equal(kind, "torchscript");
    assert.ok(root instanceof TorchScriptObject);
    assert.equal(root.className, "__torch__.TinyClip");
    assert.ok(stateDict.has("visual.conv1.weight"));
    assert.ok(stateDict.has("visual.position_ids"));
    // attn_mask is a tensor attribute of the module but not state, as in OpenAI's CLIP archives.
    assert.ok(!stateDict.has("visual.attn_mask"));
    const visual = (root.state as Map<string, unknown>).get("visual") as TorchScriptObject;
    assert.deepEqual(((visual.state as Map<string, Tensor>).get("attn_mask") as Tensor).shape, [2, 2]);
  });

  it("refuses a pickle that would run os.system, and runs nothing", () => {
    for (const name of ["malicious.pt", "malicious_p4.pt"]) {
      assert.throws(
        () => readTorchCheckpoint(fixture(name)),
        (e: unknown) =>
          e instanceof UnsafePickleError &&
          e.global === "posix.system" &&
          e.message.includes(`${name}: ${name.slice(0, -3)}/data.pkl: refusing global posix.system`),
      );
    }
    assert.ok(!existsSync("/tmp/vlmkit-torch-fixture-pwned"));
  });

  const failures: [string, RegExp][] = [
    ["legacy.pt", /legacy\.pt: legacy torch\.save format \(PyTorch < 1\.6, not a zip archive\) is not supported/],
    ["truncated.pt", /truncated\.pt: zip archive without its end of central directory: the file is truncated/],
    ["no_data_pkl.pt", /no_data_pkl\.pt: zip archive has no <archive>\/data\.pkl entry/],
    ["missing_storage.pt", /missing_storage\.pt: zip entry views\/data\/0 is missing/],
    ["short_storage.pt", /short_storage\.pt: zip entry views\/data\/0: a tensor view reaches element 24 but the storage holds 10/],
    ["complex.pt", /complex\.pt: complex\/data\.pkl: storage 0 has unsupported type torch\.ComplexFloatStorage/],
    ["expected.json", /expected\.json: not a PyTorch checkpoint/],
  ];
  for (const [name, message] of failures) {
    it(`explains why ${name} cannot be read`, () => {
      assert.throws(() => readTorchCheckpoint(fixture(name)), (e: unknown) => e instanceof FileFormatError && message.test(e.message));
    });
  }
});

describe("OpenAI-layout checkpoint", () => {
  const skip = existsSync(REFERENCE) ? false : `reference weights absent (${REFERENCE}); a fresh clone has no ../shared`;
  it("holds the reference CLIP weights, float16 upcast bit-exactly", { skip }, () => {
    const weights = loadTorchCheckpoint(fixture("openai_slice.pt"));
    const reference = readF16Safetensors(REFERENCE, [...weights.keys()]);
    assert.equal(weights.size, 7);
    for (const [name, tensor] of weights) {
      const want = reference.get(name)!;
      assert.deepEqual(tensor.shape, want.shape, name);
      assert.deepEqual([...tensor.data], want.values, name);
    }
    assert.ok(Math.abs(weights.get("logit_scale")!.item() - Math.log(20)) < 1e-3);
  });
});

/** Just enough of safetensors to read F16 tensors, so this test does not depend on the io module's reader. */
function readF16Safetensors(path: string, names: string[]): Map<string, { shape: number[]; values: number[] }> {
  const fd = openSync(path, "r");
  try {
    const length = Buffer.alloc(8);
    readSync(fd, length, 0, 8, 0);
    const headerLength = Number(length.readBigUInt64LE());
    const header = Buffer.alloc(headerLength);
    readSync(fd, header, 0, headerLength, 8);
    const entries = JSON.parse(header.toString("utf8"));
    const out = new Map<string, { shape: number[]; values: number[] }>();
    for (const name of names) {
      const { dtype, shape, data_offsets: [start, end] } = entries[name];
      assert.equal(dtype, "F16");
      const bytes = Buffer.alloc(end - start);
      readSync(fd, bytes, 0, bytes.length, 8 + headerLength + start);
      const values = Array.from({ length: bytes.length / 2 }, (_, i) => f16BitsToF32(bytes.readUInt16LE(2 * i)));
      out.set(name, { shape, values });
    }
    return out;
  } finally {
    closeSync(fd);
  }
}
