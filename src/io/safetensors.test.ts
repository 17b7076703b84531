import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DTypeError, FileFormatError, NotFoundError } from "../errors.js";
import { Tensor } from "../tensor/tensor.js";
import { f16BitsToF32, f32Bits, f32BitsToBf16, f32BitsToF16, bf16BitsToF32 } from "./half.js";
import {
  loadSafetensors, loadSafetensorsRaw, openSafetensors, readSafetensorsHeader, saveSafetensors,
} from "./index.js";

const dir = mkdtempSync(join(tmpdir(), "vlmkit-io-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
const tempPath = (name = "t") => join(dir, `${name}-${counter++}.safetensors`);

const f32 = (values: number[], shape: number[] = [values.length]) => new Tensor(Float32Array.from(values), shape);

/** A file with an arbitrary header (object or exact JSON text) and data bytes. */
function craft(header: object | string, data: Uint8Array | number[] = [], lengthField?: bigint): string {
  const json = Buffer.from(typeof header === "string" ? header : JSON.stringify(header), "utf8");
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(lengthField ?? BigInt(json.length));
  const path = tempPath("crafted");
  writeFileSync(path, Buffer.concat([prefix, json, Buffer.from(data instanceof Uint8Array ? data : Uint8Array.from(data))]));
  return path;
}

/** Header text of a file, as written. */
function headerText(path: string): string {
  const bytes = readFileSync(path);
  const n = Number(bytes.readBigUInt64LE(0));
  return bytes.subarray(8, 8 + n).toString("utf8");
}

describe("round trip", () => {
  test("F32 keeps every bit, including NaN, infinities, -0 and subnormals", () => {
    const values = [0, -0, 1, -2.5, 3.4028234663852886e38, 1.401298464324817e-45, Infinity, -Infinity, NaN, Math.PI];
    const path = tempPath();
    saveSafetensors(path, { x: f32(values, [2, 5]) });
    const x = loadSafetensors(path).get("x")!;
    assert.equal(x.dtype, "float32");
    assert.deepEqual(x.shape, [2, 5]);
    assert.deepEqual(new Uint32Array(x.data.buffer), new Uint32Array(Float32Array.from(values).buffer));
  });

  test("I32 and I64 round trip exactly, beyond 2^53 too", () => {
    const path = tempPath();
    const ids = new Tensor(Int32Array.from([0, -1, 2147483647, -2147483648]), [2, 2]);
    const big = new Tensor(BigInt64Array.from([0n, -1n, 9007199254740993n, -(2n ** 63n)]), [4]);
    saveSafetensors(path, { ids, big });
    const loaded = loadSafetensors(path);
    assert.deepEqual(loaded.get("ids")!.data, ids.data);
    assert.deepEqual(loaded.get("big")!.data, big.data);
    assert.deepEqual(loaded.get("ids")!.shape, [2, 2]);
    assert.equal(readSafetensorsHeader(path).tensors.big.dtype, "I64");
  });

  test("F16 and BF16 storage round to nearest even and load back as float32", () => {
    const values = [1, -2.5, 65504, 1e6, 2 ** -24, 1 + 2 ** -11, 0.1, -0, Infinity, NaN];
    for (const dtype of ["F16", "BF16"] as const) {
      const [encode, decode] = dtype === "F16" ? [f32BitsToF16, f16BitsToF32] : [f32BitsToBf16, bf16BitsToF32];
      const path = tempPath();
      saveSafetensors(path, { x: f32(values) }, { dtype });
      const raw = loadSafetensorsRaw(path, "x");
      assert.equal(raw.dtype, dtype);
      assert.ok(raw.bytes instanceof Uint16Array);
      assert.deepEqual([...raw.bytes], values.map((v) => encode(f32Bits(v))));
      const x = loadSafetensors(path).get("x")!;
      assert.equal(x.dtype, "float32");
      const expected = values.map((v) => decode(encode(f32Bits(v))));
      x.toFlatArray().forEach((v, i) => assert.ok(Object.is(v, expected[i]) || (Number.isNaN(v) && Number.isNaN(expected[i])), `${dtype} ${values[i]}`));
    }
  });

  test("0-d and empty tensors of every dtype", () => {
    const tensors = {
      scalar: new Tensor(Float32Array.of(7.5), []),
      iscalar: new Tensor(Int32Array.of(-3), []),
      lscalar: new Tensor(BigInt64Array.of(5n), []),
      empty: new Tensor(new Float32Array(0), [0, 3]),
      iempty: new Tensor(new Int32Array(0), [2, 0]),
      lempty: new Tensor(new BigInt64Array(0), [0]),
    };
    for (const dtype of ["F32", "F16", "BF16"] as const) {
      const path = tempPath();
      saveSafetensors(path, tensors, { dtype });
      const loaded = loadSafetensors(path);
      assert.equal(loaded.size, 6);
      for (const [name, t] of Object.entries(tensors)) {
        const got = loaded.get(name)!;
        assert.deepEqual(got.shape, t.shape, name);
        assert.equal(got.dtype, t.dtype, name);
        assert.deepEqual(got.toFlatArray(), t.toFlatArray(), name);
      }
    }
  });

  test("names that are integer-like or special survive, in the reference's order", () => {
    const path = tempPath();
    saveSafetensors(path, new Map([["10", f32([1])], ["__proto__", f32([2])], ["2", f32([3])], ["é", f32([4])], ["z", f32([5])]]));
    const loaded = loadSafetensors(path);
    assert.deepEqual([...loaded.keys()].sort(), ["10", "2", "__proto__", "z", "é"]);
    assert.equal(loaded.get("__proto__")!.item(), 2);
    // Byte-wise UTF-8 order: "é" (0xC3 0xA9) after "z".
    assert.match(headerText(path), /^\{"10":.*"2":.*"__proto__":.*"z":.*"é":/);
  });

  test("names option loads a subset and a missing name is a NotFoundError", () => {
    const path = tempPath();
    saveSafetensors(path, { a: f32([1]), b: f32([2]) });
    assert.deepEqual([...loadSafetensors(path, { names: ["b"] }).keys()], ["b"]);
    assert.throws(() => loadSafetensors(path, { names: ["c"] }), (e: unknown) => e instanceof NotFoundError && e.message.includes('"c"') && e.message.includes(path));
  });

  test("a missing file is a NotFoundError naming it", () => {
    const path = join(dir, "nope.safetensors");
    assert.throws(() => loadSafetensors(path), (e: unknown) => e instanceof NotFoundError && e.message.includes(path));
  });
});

describe("layout", () => {
  test("matches the reference writer's bytes for an empty file and metadata", () => {
    // Expected bytes from huggingface/safetensors' own serialisation tests (test_empty).
    const empty = tempPath();
    saveSafetensors(empty, {});
    assert.deepEqual([...readFileSync(empty)], [8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
    const withMeta = tempPath();
    saveSafetensors(withMeta, {}, { metadata: { framework: "pt" } });
    const bytes = readFileSync(withMeta);
    assert.equal(bytes.readBigUInt64LE(0), 40n);
    assert.equal(bytes.subarray(8).toString(), '{"__metadata__":{"framework":"pt"}}     ');
  });

  test("header: metadata first, widest dtype first then name, 8-byte aligned, space padded", () => {
    const path = tempPath();
    saveSafetensors(path, {
      b: f32([1, 2]),
      n: new Tensor(Int32Array.of(4), [1]),
      a: f32([3]),
      ids: new Tensor(BigInt64Array.of(5n), [1]),
    }, { metadata: { format: "pt", author: "x" } });
    const text = headerText(path);
    assert.equal(text.trimEnd(), '{"__metadata__":{"author":"x","format":"pt"},'
      + '"ids":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},'
      + '"a":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},'
      + '"b":{"dtype":"F32","shape":[2],"data_offsets":[12,20]},'
      + '"n":{"dtype":"I32","shape":[1],"data_offsets":[20,24]}}');
    assert.equal((8 + Buffer.byteLength(text)) % 8, 0);
    assert.match(text, /\} *$/);
    const header = readSafetensorsHeader(path);
    assert.deepEqual({ ...header.metadata }, { author: "x", format: "pt" });
    assert.equal(header.dataStart, 8 + Buffer.byteLength(text));
  });

  test("rejects a reserved name, a non-tensor and a bad dtype option", () => {
    assert.throws(() => saveSafetensors(tempPath(), { __metadata__: f32([1]) }), /reserved/);
    assert.throws(() => saveSafetensors(tempPath(), { a: [1, 2] as unknown as Tensor }), /tensor "a" is not a Tensor/);
    assert.throws(() => saveSafetensors(tempPath(), { a: f32([1]) }, { dtype: "F8" as "F16" }), /dtype must be/);
  });
});

describe("other stored dtypes", () => {
  test("U8, I8, I16, U16 and BOOL widen to int32; U32 to int64; F64 to float32", () => {
    const cases: { dtype: string; bytes: number[]; expected: (number | bigint)[]; out: string }[] = [
      { dtype: "U8", bytes: [0, 255], expected: [0, 255], out: "int32" },
      { dtype: "I8", bytes: [0x80, 0x7f], expected: [-128, 127], out: "int32" },
      { dtype: "I16", bytes: [0x00, 0x80, 0xff, 0x7f], expected: [-32768, 32767], out: "int32" },
      { dtype: "U16", bytes: [0xff, 0xff, 0x01, 0x00], expected: [65535, 1], out: "int32" },
      { dtype: "BOOL", bytes: [0, 2], expected: [0, 1], out: "int32" },
      { dtype: "U32", bytes: [0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0], expected: [4294967295n, 1n], out: "int64" },
      { dtype: "F64", bytes: [...new Uint8Array(Float64Array.of(0.1, -1e300).buffer)], expected: [Math.fround(0.1), -Infinity], out: "float32" },
    ];
    for (const { dtype, bytes, expected, out } of cases) {
      const path = craft({ x: { dtype, shape: [2], data_offsets: [0, bytes.length] } }, bytes);
      const x = loadSafetensors(path).get("x")!;
      assert.equal(x.dtype, out, dtype);
      assert.deepEqual(Array.from(x.data as ArrayLike<number | bigint>), expected, dtype);
    }
  });

  test("raw reads return the stored bits in the matching typed array", () => {
    const path = craft({
      a: { dtype: "F8_E4M3", shape: [2], data_offsets: [0, 2] },
      b: { dtype: "U64", shape: [1], data_offsets: [2, 10] },
      c: { dtype: "F4", shape: [4], data_offsets: [10, 12] },
    }, [0x38, 0xb8, 1, 0, 0, 0, 0, 0, 0, 0x80, 0x21, 0x43]);
    const file = openSafetensors(path);
    try {
      assert.deepEqual(file.readRaw("a"), { dtype: "F8_E4M3", shape: [2], bytes: Uint8Array.of(0x38, 0xb8) });
      assert.deepEqual(file.readRaw("b").bytes, BigUint64Array.of(2n ** 63n + 1n));
      assert.deepEqual(file.readRaw("c").bytes, Uint8Array.of(0x21, 0x43));
    } finally {
      file.close();
    }
    assert.throws(() => loadSafetensors(path), (e: unknown) => e instanceof DTypeError && /"a" is F8_E4M3.*loadSafetensorsRaw/.test(e.message));
  });

  test("unaligned data (header not padded) reads correctly", () => {
    // Pad the header so the data starts at an odd file offset: no element is naturally aligned.
    let header = '{"u":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"f":{"dtype":"F32","shape":[2],"data_offsets":[1,9]},"h":{"dtype":"F16","shape":[1],"data_offsets":[9,11]}}';
    while ((8 + header.length) % 8 !== 3) header += " ";
    const data = [7, ...new Uint8Array(Float32Array.of(1.5, -2).buffer), 0x00, 0x3c];
    const path = craft(header, data);
    assert.equal(readSafetensorsHeader(path).dataStart % 8, 3);
    const loaded = loadSafetensors(path);
    assert.deepEqual(loaded.get("f")!.toFlatArray(), [1.5, -2]);
    assert.deepEqual(loaded.get("h")!.toFlatArray(), [1]);
    assert.deepEqual(loaded.get("u")!.toFlatArray(), [7]);
  });
});

describe("malformed files give a FileFormatError naming the file and the tensor", () => {
  const t = (offsets: [number, number], shape = [1], dtype = "F32") => ({ dtype, shape, data_offsets: offsets });

  function expectError(path: string, tensor: string | null, pattern: RegExp): void {
    for (const load of [() => loadSafetensors(path), () => readSafetensorsHeader(path)]) {
      assert.throws(load, (e: unknown) => {
        assert.ok(e instanceof FileFormatError, `expected FileFormatError, got ${e}`);
        assert.equal(e.file, path);
        assert.equal(e.code, "E_FILE_FORMAT");
        assert.ok(e.message.startsWith(`${path}: `), e.message);
        if (tensor !== null) assert.ok(e.message.includes(`tensor "${tensor}"`), e.message);
        assert.match(e.message, pattern);
        return true;
      });
    }
  }

  test("file shorter than the length field", () => {
    const path = tempPath();
    writeFileSync(path, Uint8Array.of(1, 0, 0));
    expectError(path, null, /3 bytes, shorter than the 8-byte header length/);
  });

  test("header length over the 100 MB cap, and past the end of the file", () => {
    expectError(craft("{}", [], 100_000_001n), null, /header length 100000001 exceeds the 100000000-byte limit/);
    expectError(craft("{}", [], 2n ** 64n - 1n), null, /exceeds/);
    expectError(craft("{}", [], 500n), null, /header length 500 runs past the end of the 10-byte file/);
  });

  test("header not UTF-8, not JSON, not an object", () => {
    const badUtf8 = tempPath();
    writeFileSync(badUtf8, Buffer.from([3, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0xff, 0x7d]));
    expectError(badUtf8, null, /header is not valid UTF-8/);
    expectError(craft('{"a": '), null, /header is not valid JSON/);
    expectError(craft("[1, 2]"), null, /header must be a JSON object, got an array/);
    expectError(craft("null"), null, /header must be a JSON object, got null/);
  });

  test("__metadata__ that is not a string map", () => {
    expectError(craft({ __metadata__: { a: 1 } }), null, /"__metadata__" must be an object of strings, key "a" holds a number/);
    expectError(craft({ __metadata__: "x" }), null, /"__metadata__" must be an object of strings/);
  });

  test("entries with missing or mistyped fields", () => {
    expectError(craft({ w: 5 }), "w", /entry must be an object/);
    expectError(craft({ w: { shape: [1], data_offsets: [0, 4] } }, [0, 0, 0, 0]), "w", /missing "dtype"/);
    expectError(craft({ w: { dtype: 32, shape: [1], data_offsets: [0, 4] } }, [0, 0, 0, 0]), "w", /"dtype" must be a string/);
    expectError(craft({ w: { dtype: "F32", data_offsets: [0, 4] } }, [0, 0, 0, 0]), "w", /missing "shape"/);
    expectError(craft({ w: { dtype: "F32", shape: [1] } }, [0, 0, 0, 0]), "w", /missing "data_offsets"/);
    expectError(craft({ w: t([0, 4], "1" as unknown as number[]) }, [0, 0, 0, 0]), "w", /"shape" must be an array of non-negative integers/);
    expectError(craft({ w: t([0, 4], [-1]) }, [0, 0, 0, 0]), "w", /"shape" must be an array of non-negative integers, got \[-1\]/);
    expectError(craft({ w: t([0, 4], [1.5]) }, [0, 0, 0, 0]), "w", /non-negative integers, got \[1.5\]/);
    expectError(craft({ w: { dtype: "F32", shape: [1], data_offsets: [0] } }, [0, 0, 0, 0]), "w", /"data_offsets" must be \[begin, end\]/);
    expectError(craft({ w: { dtype: "F32", shape: [1], data_offsets: [0, "4"] } }, [0, 0, 0, 0]), "w", /"data_offsets" must be/);
    expectError(craft({ w: t([4, 0]) }, [0, 0, 0, 0]), "w", /end before they begin/);
  });

  test("unknown dtype", () => {
    expectError(craft({ w: t([0, 4], [1], "F17") }, [0, 0, 0, 0]), "w", /unknown dtype "F17" \(known: BOOL, .*F32/);
  });

  test("byte length that does not match shape and dtype", () => {
    expectError(craft({ w: t([0, 4], [2]) }, [0, 0, 0, 0]), "w", /shape \[2\] of F32 needs 8 bytes, data_offsets \[0, 4\] hold 4/);
    expectError(craft({ w: t([0, 1], [3], "F4") }, [0]), "w", /does not fill whole bytes/);
    expectError(craft({ w: t([0, 4], [2 ** 40, 2 ** 40]) }, [0, 0, 0, 0]), "w", /too large/);
  });

  test("offsets beyond the data section", () => {
    expectError(craft({ w: t([0, 8], [2]) }, [0, 0, 0, 0]), "w", /data_offsets \[0, 8\] run past the end of the data section \(4 bytes; file truncated\?\)/);
    expectError(craft({ w: t([0, 2 ** 52], [2 ** 50]) }, [0, 0, 0, 0]), "w", /run past the end/);
  });

  test("a truncated file names the tensor that no longer fits", () => {
    const path = tempPath();
    saveSafetensors(path, { first: f32([1, 2]), last: f32([3, 4]) });
    truncateSync(path, readFileSync(path).length - 3);
    expectError(path, "last", /run past the end of the data section.*truncated/);
  });

  test("overlapping tensors", () => {
    const data = new Array(12).fill(0);
    expectError(craft({ a: t([0, 8], [2]), b: t([4, 12], [2]) }, data), "b", /bytes \[4, 12\) overlap tensor "a", which ends at 8/);
  });

  test("gaps and trailing bytes (the data section must be fully covered)", () => {
    expectError(craft({ a: t([0, 4]), b: t([8, 12]) }, new Array(12).fill(0)), "b", /bytes \[4, 8\) before it belong to no tensor/);
    expectError(craft({ a: t([4, 8]) }, new Array(8).fill(0)), "a", /bytes \[0, 4\) before it/);
    expectError(craft({ a: t([0, 4]) }, new Array(8).fill(0)), "a", /4 trailing bytes of the data section after the last tensor "a"/);
    expectError(craft({}, [1, 2]), null, /2 trailing bytes .* but the header lists no tensors/);
  });

  test("duplicate keys are rejected through the gap they leave", () => {
    const header = '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}';
    expectError(craft(header, new Array(8).fill(0)), "a", /bytes \[0, 4\) before it belong to no tensor/);
  });

  test("a file that shrinks after its header was read fails on the short read", () => {
    const path = tempPath();
    saveSafetensors(path, { a: f32([1, 2, 3, 4]) });
    const file = openSafetensors(path);
    try {
      truncateSync(path, file.header.dataStart + 4);
      assert.throws(() => file.read("a"), (e: unknown) => e instanceof FileFormatError && /tensor "a": file ended after/.test(e.message));
    } finally {
      file.close();
    }
  });
});

describe("atomic writes", () => {
  test("a write that fails midway leaves the old file intact and no temp file", () => {
    const sub = mkdtempSync(join(dir, "atomic-"));
    const path = join(sub, "model.safetensors");
    saveSafetensors(path, { a: f32([1, 2]) });
    const before = readFileSync(path);

    const failing = f32([3, 4]);
    failing.f32 = () => {
      throw new Error("simulated failure while writing");
    };
    // "a" sorts first, so the header and its data are written before "b" fails.
    assert.throws(() => saveSafetensors(path, { a: f32([5, 6]), b: failing }, { dtype: "F16" }), /simulated failure/);
    assert.deepEqual(readFileSync(path), before);
    assert.deepEqual(readdirSync(sub), ["model.safetensors"]);

    saveSafetensors(path, { c: f32([7]) });
    assert.deepEqual([...loadSafetensors(path).keys()], ["c"]);
    assert.deepEqual(readdirSync(sub), ["model.safetensors"]);
  });

  test("a write into a missing folder fails without creating anything", () => {
    const path = join(dir, "no-such-dir", "x.safetensors");
    assert.throws(() => saveSafetensors(path, { a: f32([1]) }), /ENOENT/);
    assert.equal(existsSync(join(dir, "no-such-dir")), false);
  });
});

const reference = fileURLToPath(new URL("../../../shared/reference/clip/tiny/", import.meta.url));
const skip = existsSync(reference)
  ? false
  : `reference fixtures not found at ${reference} (CI-only data, absent from a fresh clone): skipping safetensors parity checks`;

describe("reference fixtures", { skip }, () => {
  const hfPath = join(reference, "hf/model.safetensors");
  const fp16Path = join(reference, "openai-fp16.safetensors");

  test("HF F32 checkpoint loads with the expected shapes", () => {
    const hf = loadSafetensors(hfPath);
    assert.equal(hf.size, 78);
    assert.deepEqual(hf.get("vision_model.embeddings.patch_embedding.weight")!.shape, [128, 3, 32, 32]);
    assert.deepEqual(hf.get("text_model.embeddings.token_embedding.weight")!.shape, [49408, 128]);
    for (const t of hf.values()) assert.equal(t.dtype, "float32");
    // ln(20) as the F16 checkpoint holds it (2.99609375): both layouts carry the same values.
    assert.ok(Math.abs(hf.get("logit_scale")!.item() - Math.log(20)) < 2 ** -11 * 3);
  });

  test("OpenAI F16 weights equal the F32 weights rounded to F16", () => {
    const hf = loadSafetensors(hfPath);
    const fp16 = loadSafetensors(fp16Path);
    assert.deepEqual(readSafetensorsHeader(fp16Path).metadata.format, "pt");
    const pairs: [string, string, boolean][] = [
      ["visual.conv1.weight", "vision_model.embeddings.patch_embedding.weight", false],
      ["token_embedding.weight", "text_model.embeddings.token_embedding.weight", false],
      ["positional_embedding", "text_model.embeddings.position_embedding.weight", false],
      ["visual.ln_pre.bias", "vision_model.pre_layrnorm.bias", false],
      ["logit_scale", "logit_scale", false],
      ["text_projection", "text_projection.weight", true], // stored transposed by OpenAI
    ];
    for (const [openai, hfName, transposed] of pairs) {
      const a = fp16.get(openai)!;
      const b = hf.get(hfName)!;
      assert.equal(a.dtype, "float32");
      assert.equal(a.size, b.size, openai);
      const x = a.f32();
      const y = b.f32();
      const [rows, cols] = b.shape;
      let maxError = 0;
      for (let i = 0; i < y.length; i++) {
        const j = transposed ? (i % cols) * rows + Math.floor(i / cols) : i;
        // Exact: the F16 value is the F32 value rounded by the same rule we implement.
        assert.equal(x[j], f16BitsToF32(f32BitsToF16(f32Bits(y[i]))), `${openai}[${j}]`);
        maxError = Math.max(maxError, Math.abs(x[j] - y[i]) / Math.max(Math.abs(y[i]), 2 ** -14));
      }
      assert.ok(maxError <= 2 ** -11, `${openai}: relative error ${maxError} beyond F16 precision`);
    }
  });

  test("raw F16 access returns the stored bits that the loader upcasts", () => {
    const raw = loadSafetensorsRaw(fp16Path, "visual.conv1.weight");
    assert.equal(raw.dtype, "F16");
    assert.deepEqual(raw.shape, [128, 3, 32, 32]);
    assert.ok(raw.bytes instanceof Uint16Array);
    const upcast = loadSafetensors(fp16Path, { names: ["visual.conv1.weight"] }).get("visual.conv1.weight")!.f32();
    for (let i = 0; i < upcast.length; i++) assert.equal(upcast[i], f16BitsToF32(raw.bytes[i]));
  });

  test("I64 token ids load as int64", () => {
    const ids = loadSafetensors(join(reference, "expected.safetensors"), { names: ["input_ids"] }).get("input_ids")!;
    assert.equal(ids.dtype, "int64");
    assert.deepEqual(ids.shape, [5, 77]);
    assert.equal(ids.at(0, 0), 49406);
  });

  test("re-saving the HF checkpoint round-trips every tensor", () => {
    const hf = loadSafetensors(hfPath);
    const path = tempPath();
    saveSafetensors(path, hf, { metadata: { format: "pt" } });
    const again = loadSafetensors(path);
    assert.equal(again.size, hf.size);
    for (const [name, t] of hf) assert.deepEqual(again.get(name)!.data, t.data, name);
  });
});
