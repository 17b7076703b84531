import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FileFormatError } from "../../errors.js";
import { globToRegExp, selectFiles, shardsOf } from "./select-files.js";

const SIDE = ["config.json", "tokenizer.json", "tokenizer_config.json", "preprocessor_config.json"];

describe("selectFiles: the default model selection", () => {
  // [repo files, selected files, shard index]
  const cases: [string, string[], string[], string | undefined][] = [
    ["single safetensors wins over .bin", [...SIDE, "model.safetensors", "pytorch_model.bin", "README.md", "flax_model.msgpack"], [...SIDE, "model.safetensors"], undefined],
    [
      "sharded safetensors wins over .bin",
      [...SIDE, "model.safetensors.index.json", "model-00001-of-00002.safetensors", "pytorch_model.bin"],
      [...SIDE, "model.safetensors.index.json"],
      "model.safetensors.index.json",
    ],
    ["pytorch_model.bin only when no safetensors", ["config.json", "pytorch_model.bin", "tf_model.h5"], ["config.json", "pytorch_model.bin"], undefined],
    ["sharded .bin last", ["config.json", "pytorch_model.bin.index.json"], ["config.json", "pytorch_model.bin.index.json"], "pytorch_model.bin.index.json"],
    [
      "all tokenizer and processor files",
      ["config.json", "vocab.json", "merges.txt", "special_tokens_map.json", "generation_config.json", "chat_template.json", "tokenizer.model", "model.safetensors"],
      ["config.json", "generation_config.json", "chat_template.json", "tokenizer.model", "special_tokens_map.json", "vocab.json", "merges.txt", "model.safetensors"],
      undefined,
    ],
  ];
  for (const [name, available, files, shardIndex] of cases) {
    it(name, () => {
      const selection = selectFiles(available);
      assert.deepEqual([...selection.files].sort(), [...files].sort());
      assert.equal(selection.shardIndex, shardIndex);
      assert.deepEqual(selection.missing, []);
    });
  }

  it("reports a missing config.json and missing weights", () => {
    const { missing } = selectFiles(["tokenizer.json", "open_clip_model.safetensors"]);
    assert.equal(missing.length, 2);
    assert.equal(missing[0], "config.json");
    assert.match(missing[1]!, /^weights \(one of model\.safetensors, /);
  });
});

describe("selectFiles: explicit files and patterns", () => {
  const repo = ["config.json", "model.safetensors", "merges.txt", "vocab.json", "sub/extra.json", "README.md"];

  it("takes exact names and reports the absent ones", () => {
    const s = selectFiles(repo, { files: ["config.json", "nope.bin"] });
    assert.deepEqual(s.files, ["config.json"]);
    assert.deepEqual(s.missing, ["nope.bin"]);
    assert.equal(s.shardIndex, undefined);
  });

  it("filters with a RegExp", () => {
    assert.deepEqual(selectFiles(repo, { files: /\.json$/ }).files, ["config.json", "vocab.json", "sub/extra.json"]);
  });

  it("allowPatterns alone replace the default, and add to explicit files", () => {
    assert.deepEqual(selectFiles(repo, { allowPatterns: ["*.txt", "*.md"] }).files, ["merges.txt", "README.md"]);
    assert.deepEqual(selectFiles(repo, { files: ["config.json"], allowPatterns: ["*.txt"] }).files, ["config.json", "merges.txt"]);
  });

  it("a pattern matching nothing is reported missing", () => {
    assert.deepEqual(selectFiles(repo, { allowPatterns: ["*.onnx"] }).missing, ["files matching /^.*\\.onnx$/"]);
  });
});

describe("globToRegExp (fnmatch semantics)", () => {
  const cases: [string, string, boolean][] = [
    ["*.json", "config.json", true],
    ["*.json", "sub/dir/config.json", true], // fnmatch's * crosses "/"
    ["*.json", "config.jsonl", false],
    ["model-?.bin", "model-1.bin", true],
    ["model-?.bin", "model-12.bin", false],
    ["model-[0-9].bin", "model-7.bin", true],
    ["model-[!0-9].bin", "model-7.bin", false],
    ["a+b(c).txt", "a+b(c).txt", true],
    ["a.b", "axb", false],
    ["[abc", "[abc", true],
  ];
  for (const [glob, name, expected] of cases) {
    it(`${glob} ${expected ? "matches" : "does not match"} ${name}`, () => {
      assert.equal(globToRegExp(glob).test(name), expected);
    });
  }
});

describe("shardsOf", () => {
  it("lists each shard once, in order, relative to the index folder", () => {
    const index = { metadata: {}, weight_map: { a: "model-1.safetensors", b: "model-2.safetensors", c: "model-1.safetensors" } };
    assert.deepEqual(shardsOf(index, "model.safetensors.index.json"), ["model-1.safetensors", "model-2.safetensors"]);
    assert.deepEqual(shardsOf(index, "text/model.safetensors.index.json"), ["text/model-1.safetensors", "text/model-2.safetensors"]);
  });

  it("rejects an index without a usable weight_map, naming the file", () => {
    assert.throws(() => shardsOf({}, "model.safetensors.index.json"), (e) => e instanceof FileFormatError && /^model\.safetensors\.index\.json: /.test(e.message));
    assert.throws(() => shardsOf({ weight_map: { a: 3 } }, "i.json"), /weight_map\["a"\]/);
  });
});
