import assert from "node:assert/strict";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { PickleWriter, type ViewSpec, stateDictPickle, torchCheckpoint, zipArchive } from "../../../test/support/torch-zip.js";
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
  for (const name of ["dtypes.pt", "protocol1.pt", "protocol4.pt", "deflated.pt", "views.pt", "zip64.pt", "module.pt", "wrapped.pt", "scripted.pt"]) {
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
    ["protocol0.pt", /protocol0\.pt: protocol0\/data\.pkl: storage named by a text persistent id \(pickle protocol 0\), which torch\.load cannot read either/],
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

describe("hostile checkpoints", () => {
  const dir = mkdtempSync(join(tmpdir(), "vlmkit-hostile-pt-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, bytes: Uint8Array) => {
    const file = join(dir, name);
    writeFileSync(file, bytes);
    return file;
  };
  const rejects = (file: string, pattern: RegExp) =>
    assert.throws(() => readTorchCheckpoint(file), (e: unknown) => e instanceof FileFormatError && pattern.test(e.message) && !e.message.includes("\n"));

  it("reads a hand-built state dict (the builder itself is right)", () => {
    const views: ViewSpec[] = [
      { name: "w", storage: "0", numel: 6, shape: [2, 3], stride: [3, 1] },
      { name: "t", storage: "0", numel: 6, shape: [3, 2], stride: [1, 3] },
      { name: "row", storage: "0", numel: 6, offset: 3, shape: [3], stride: [1] },
      { name: "broadcast", storage: "1", numel: 1, shape: [2, 2], stride: [0, 0] },
    ];
    const weights = loadTorchCheckpoint(write("ok.pt", torchCheckpoint(stateDictPickle(views), { "0": 6, "1": 1 })));
    assert.deepEqual(weights.get("w")!.toArray(), [[0, 1, 2], [3, 4, 5]]);
    assert.deepEqual(weights.get("t")!.toArray(), [[0, 3], [1, 4], [2, 5]]);
    assert.deepEqual(weights.get("row")!.toArray(), [3, 4, 5]);
    assert.deepEqual(weights.get("broadcast")!.toArray(), [[0, 0], [0, 0]]);
  });

  it("refuses a 4-byte storage viewed as 20000 x 20000 with zero strides, before allocating it", () => {
    const pickle = stateDictPickle([{ name: "huge", storage: "0", numel: 1, shape: [20000, 20000], stride: [0, 0] }]);
    const file = write("zero-strides.pt", torchCheckpoint(pickle, { "0": 1 }));
    assert.ok(readFileSync(file).length < 1024);
    const rss = process.memoryUsage().rss;
    rejects(file, /zero-strides\.pt: its tensor views would copy 1526 MiB out of 4 bytes of storage \(zero or overlapping strides repeat elements\); refusing to materialise more than the storages plus 256 MiB/);
    assert.ok(process.memoryUsage().rss - rss < 100 * 2 ** 20);
  });

  it("loads 200,000 views of one storage without overflowing the stack", () => {
    const views = Array.from({ length: 200_000 }, (_, i): ViewSpec => ({ name: `v${i}`, storage: "0", numel: 4, offset: i % 4, shape: [1], stride: [1] }));
    const weights = loadTorchCheckpoint(write("many-views.pt", torchCheckpoint(stateDictPickle(views), { "0": 4 })));
    assert.equal(weights.size, 200_000);
    assert.deepEqual(weights.get("v199999")!.toArray(), [3]);
  });

  it("loads a tensor under 100,000 nested lists without overflowing the stack", () => {
    // [[[...[tensor]...]]]: the state dict names it 0.0.0...0.
    const depth = 100_000;
    const inner = stateDictPickle([{ name: "w", storage: "0", numel: 2, shape: [2], stride: [1] }]);
    // Reuse the dict pickle minus PROTO/STOP as the innermost value, wrapped in lists.
    const w = new PickleWriter();
    for (let i = 0; i < depth; i++) w.op(0x5d); // EMPTY_LIST
    const body = inner.subarray(2, inner.length - 1);
    const bytes = Buffer.concat([w.bytes().subarray(0, -1), body, Buffer.alloc(depth, 0x61), Buffer.from([0x2e])]);
    const { stateDict } = readTorchCheckpoint(write("nested.pt", torchCheckpoint(bytes, { "0": 2 })));
    const [name] = stateDict.keys();
    assert.equal(name, `${"0.".repeat(depth)}w`);
  });

  it("inflates no further than the directory says, and refuses sizes deflate cannot produce", () => {
    const pickle = stateDictPickle([{ name: "w", storage: "0", numel: 250, shape: [250], stride: [1] }]);
    // 64 MB of zeros deflate to 64 KB; the directory claims 1000 bytes.
    const bomb = zipArchive([
      { name: "archive/data.pkl", data: pickle },
      { name: "archive/data/0", data: new Uint8Array(64 * 2 ** 20), deflate: true, claimedSize: 1000 },
    ]);
    const rss = process.memoryUsage().rss;
    rejects(write("bomb.pt", bomb), /bomb\.pt: zip entry archive\/data\/0 inflates past the 1000 bytes the directory says/);
    assert.ok(process.memoryUsage().rss - rss < 32 * 2 ** 20, "inflated the whole 64 MB");
    const claims = torchCheckpoint(pickle, { "0": 250 }, { deflate: true, claimedSize: { "0": 4_000_000_000 } });
    rejects(write("claims.pt", claims), /claims\.pt: zip entry archive\/data\/0 claims 4000000000 bytes from \d+ compressed, more than deflate can encode/);
  });
});
