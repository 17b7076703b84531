import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { saveSafetensors } from "../../io/index.js";
import { randomSource } from "../../nn/index.js";
import { SGD } from "../../optim/index.js";
import { HalfTensor, Tensor, concat, crossEntropy, noGrad, slice } from "../../tensor/index.js";
import { assertClose } from "../../../test/support/assert.js";
import { forEachBackend } from "../../../test/support/backends.js";
import { type LlamaConfigInput, parseLlamaConfig } from "./config.js";
import { type TokenDecoder, generate, streamGenerate } from "./generate.js";
import { LlamaForCausalLM } from "./model.js";
import { applyRotary, inverseFrequencies, rotaryTables } from "./rope.js";

const TINY: LlamaConfigInput = {
  vocab_size: 40, hidden_size: 32, intermediate_size: 48, num_hidden_layers: 2,
  num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 64, eos_token_id: null,
};

/** A random model with weights large enough (std 0.2) that its next-token choices are clear. */
function tiny(overrides: LlamaConfigInput = {}, seed = 1): LlamaForCausalLM {
  return new LlamaForCausalLM(parseLlamaConfig({ ...TINY, ...overrides }), randomSource(seed, 0.2));
}

const ids = (...rows: number[][]) => new Tensor(Int32Array.from(rows.flat()), [rows.length, rows[0].length]);
const TOL = { atol: 1e-5, rtol: 1e-4 };

/** Letters for ids: enough of a tokenizer to test text handling. */
const letters: TokenDecoder = { decode: (t) => t.map((i) => String.fromCharCode(97 + (i % 26))).join("") };

forEachBackend("causal LM", () => {
  for (const [name, overrides] of [
    ["Llama, grouped-query", {}],
    ["Qwen2 (q/k/v biases), tied embeddings", { model_type: "qwen2", tie_word_embeddings: true }],
  ] as const) {
    test(`${name}: prefill + cached decode gives the full forward's logits at every position`, () => {
      const lm = tiny(overrides);
      const seq = [[1, 5, 9, 3, 22, 17, 8, 30], [2, 6, 6, 11, 39, 0, 4, 12]];
      noGrad(() => {
        const full = lm.forward({ inputIds: ids(...seq) }); // [2, 8, V]
        const cache = lm.newCache(2);
        const parts = [lm.forward({ inputIds: ids(...seq.map((r) => r.slice(0, 5))), cache })];
        for (let t = 5; t < 8; t++) parts.push(lm.forward({ inputIds: ids(...seq.map((r) => [r[t]])), cache }));
        assert.equal(cache.length, 8);
        assertClose(concat(parts, 1), full, TOL);
      });
    });
  }

  test("a left-padded row has the logits of the row alone", () => {
    const lm = tiny();
    noGrad(() => {
      const alone = lm.forward({ inputIds: ids([7, 8, 9]) }); // [1, 3, V]
      const batch = lm.forward({ inputIds: ids([0, 0, 7, 8, 9], [1, 2, 3, 4, 5]), attentionMask: ids([0, 0, 1, 1, 1], [1, 1, 1, 1, 1]) });
      assertClose(slice(slice(batch, 0, 0, 1), 1, 2), alone, TOL);
      assertClose(slice(batch, 0, 1, 2), lm.forward({ inputIds: ids([1, 2, 3, 4, 5]) }), TOL);
    });
  });

  test("batched generation (left padding, attention mask) gives the tokens of one-by-one generation", () => {
    const lm = tiny();
    const prompts = [[3, 1, 4, 1, 5, 9, 2], [6, 5], [35, 8, 9, 7]];
    const batch = generate(lm, { inputIds: prompts }, { maxNewTokens: 12 });
    const alone = prompts.map((p) => generate(lm, { inputIds: [p] }, { maxNewTokens: 12 }).tokens[0]);
    assert.deepEqual(batch.tokens, alone);
    assert.deepEqual(batch.sequences[1], [...prompts[1], ...alone[1]]);
    assert.deepEqual(batch.finishReasons, ["length", "length", "length"]);
  });

  test("sliding window (Mistral): with one layer the last output sees only the last `window` tokens", () => {
    const lm = tiny({ model_type: "mistral", sliding_window: 3, num_hidden_layers: 1 });
    noGrad(() => {
      const long = lm.forward({ inputIds: ids([9, 8, 1, 2, 3]), logits: "last" });
      const short = lm.forward({ inputIds: ids([1, 2, 3]), logits: "last" });
      // Rotary attention depends on relative positions only.
      assertClose(long, short, { atol: 1e-4, rtol: 1e-4 });
      const plain = tiny({ num_hidden_layers: 1 }).forward({ inputIds: ids([9, 8, 1, 2, 3]), logits: "last" });
      const plainShort = tiny({ num_hidden_layers: 1 }).forward({ inputIds: ids([1, 2, 3]), logits: "last" });
      assert.ok(Math.abs(plain.at(0, 0, 0) - plainShort.at(0, 0, 0)) > 1e-3, "without a window the earlier tokens matter");
      // And decoding with the cache applies the same window.
      const cache = lm.newCache(1);
      lm.forward({ inputIds: ids([9, 8, 1, 2]), cache });
      assertClose(lm.forward({ inputIds: ids([3]), cache }), long, TOL);
    });
  });
});

describe("generation", () => {
  test("sampling with a seed repeats; another seed differs", () => {
    const lm = tiny();
    const run = (seed: number) => generate(lm, { inputIds: [[1, 2, 3]] }, { doSample: true, temperature: 1.5, topK: 20, seed, maxNewTokens: 16 }).tokens[0];
    assert.deepEqual(run(7), run(7));
    assert.notDeepEqual(run(7), run(8));
  });

  test("an eos token ends its row and is kept; other rows go on", () => {
    const lm = tiny();
    const free = generate(lm, { inputIds: [[1, 2, 3], [4, 5]] }, { maxNewTokens: 8 }).tokens;
    // An eos that row 0 reaches mid-way and row 1 never does.
    const step = free[0].findIndex((t, i) => i > 0 && !free[0].slice(0, i).includes(t) && !free[1].includes(t));
    assert.ok(step > 0, `no usable eos in ${JSON.stringify(free)}`);
    const out = generate(lm, { inputIds: [[1, 2, 3], [4, 5]] }, { maxNewTokens: 8, eosTokenId: [free[0][step]] });
    assert.deepEqual(out.tokens, [free[0].slice(0, step + 1), free[1]]);
    assert.deepEqual(out.finishReasons, ["eos", "length"]);
  });

  test("stop strings end a row; the text stops before them; streaming yields the same text", async () => {
    const lm = tiny();
    const free = generate(lm, { inputIds: [[1, 2, 3]] }, { maxNewTokens: 12, decoder: letters });
    const text = free.texts![0];
    assert.equal(text, letters.decode(free.tokens[0]));
    const stop = text.slice(5, 7);
    const cut = text.indexOf(stop);
    const out = generate(lm, { inputIds: [[1, 2, 3]] }, { maxNewTokens: 12, decoder: letters, stopStrings: [stop, "no such text"] });
    assert.equal(out.texts![0], text.slice(0, cut));
    assert.deepEqual(out.tokens[0], free.tokens[0].slice(0, cut + 2));
    assert.deepEqual(out.finishReasons, ["stop"]);

    const pieces: string[] = [];
    for await (const piece of streamGenerate(lm, { inputIds: [[1, 2, 3]] }, { maxNewTokens: 12, decoder: letters, stopStrings: [stop] })) pieces.push(piece);
    assert.equal(pieces.join(""), text.slice(0, cut));
    assert.ok(pieces.length > 1, "streamed in pieces");
    assert.throws(() => generate(lm, { inputIds: [[1]] }, { stopStrings: ["x"] }), { name: "ArgumentError" });
  });

  test("a prompt longer than the context is a ContextLengthError; a full context ends generation", () => {
    const lm = tiny({ max_position_embeddings: 8 });
    assert.throws(() => generate(lm, { inputIds: [[1, 2, 3, 4, 5, 6, 7, 8, 9]] }), { name: "ContextLengthError", message: /9 tokens.*context of 8/ });
    assert.throws(() => lm.forward({ inputIds: ids([1, 2, 3, 4, 5, 6, 7, 8, 9]) }), { name: "ContextLengthError" });
    const out = generate(lm, { inputIds: [[1, 2, 3, 4, 5, 6]] }, { maxNewTokens: 10 });
    assert.equal(out.sequences[0].length, 8);
    assert.deepEqual(out.finishReasons, ["context"]);
    // Positions count a row's own tokens, not the batch's padding: the short row goes on.
    const batch = generate(lm, { inputIds: [[1, 2, 3, 4, 5, 6, 7], [9, 8]] }, { maxNewTokens: 5 });
    assert.deepEqual(batch.finishReasons, ["context", "length"]);
    assert.deepEqual(batch.tokens[1], generate(lm, { inputIds: [[9, 8]] }, { maxNewTokens: 5 }).tokens[0]);
  });
});

describe("rotary embeddings", () => {
  test("q . k after rotation depends only on the distance between positions", () => {
    const c = parseLlamaConfig({ ...TINY, head_dim: 8 });
    const inv = inverseFrequencies(c);
    const q = new Tensor(Float32Array.from({ length: 8 }, (_, i) => Math.sin(i + 1)), [1, 1, 1, 8]);
    const k = new Tensor(Float32Array.from({ length: 8 }, (_, i) => Math.cos(3 * i)), [1, 1, 1, 8]);
    const dot = (m: number, n: number) => {
      const a = applyRotary(q, rotaryTables(inv, Int32Array.of(m))).f32();
      const b = applyRotary(k, rotaryTables(inv, Int32Array.of(n))).f32();
      return a.reduce((s, v, i) => s + v * b[i], 0);
    };
    assert.ok(Math.abs(dot(7, 3) - dot(12, 8)) < 1e-5);
    assert.ok(Math.abs(dot(7, 3) - dot(3, 7)) > 1e-3, "and on its sign");
  });

  test("rope_scaling: linear divides every frequency; llama3 keeps high ones, slows low ones, blends between", () => {
    const base = inverseFrequencies(parseLlamaConfig({ ...TINY, head_dim: 64, rope_theta: 500000 }));
    const linear = inverseFrequencies(parseLlamaConfig({ ...TINY, head_dim: 64, rope_theta: 500000, rope_scaling: { type: "linear", factor: 4 } }));
    linear.forEach((f, i) => assert.ok(Math.abs(f - base[i] / 4) <= 1e-7 * base[i]));
    const scaling = { rope_type: "llama3", factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 };
    const l3 = inverseFrequencies(parseLlamaConfig({ ...TINY, head_dim: 64, rope_theta: 500000, rope_scaling: scaling }));
    const wavelen = (f: number) => (2 * Math.PI) / f;
    let seen = 0;
    base.forEach((f, i) => {
      if (wavelen(f) < 8192 / 4) assert.equal(l3[i], f);
      else if (wavelen(f) > 8192) assert.ok(Math.abs(l3[i] - f / 8) <= 1e-7 * f);
      else {
        assert.ok(l3[i] < f && l3[i] > f / 8);
        seen++;
      }
    });
    assert.ok(seen > 0, "some frequencies fall in the blended band");
    assert.throws(() => parseLlamaConfig({ ...TINY, rope_scaling: { rope_type: "yarn", factor: 2 } }), { name: "ConfigError", message: /yarn/ });
  });
});

describe("loading", () => {
  const dir = mkdtempSync(join(tmpdir(), "vlmkit-lm-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  function writeModel(name: string, lm: LlamaForCausalLM, dtype: "F32" | "F16" | "BF16", extra: Record<string, Tensor> = {}, drop: string[] = []): string {
    const folder = join(dir, name);
    mkdirSync(folder);
    const weights = Object.fromEntries([...lm.stateDict(), ...Object.entries(extra)].filter(([k]) => !drop.includes(k)));
    saveSafetensors(join(folder, "model.safetensors"), weights, { dtype });
    writeFileSync(join(folder, "config.json"), JSON.stringify({ ...TINY, ...configOverrides.get(lm) }));
    return folder;
  }
  const configOverrides = new Map<LlamaForCausalLM, LlamaConfigInput>();
  const make = (overrides: LlamaConfigInput = {}) => {
    const lm = tiny(overrides);
    configOverrides.set(lm, overrides);
    return lm;
  };

  test("F16 weights stay 16-bit with dtype auto and give the float32 model's logits closely", async () => {
    const lm = make();
    const folder = writeModel("f16", lm, "F16");
    const held = await LlamaForCausalLM.fromPretrained(folder);
    const upcast = await LlamaForCausalLM.fromPretrained(folder, { dtype: "float32" });
    assert.ok(held.model.layers.at(0).self_attn.q_proj.weight instanceof HalfTensor);
    assert.ok(held.lm_head.weight instanceof HalfTensor && held.model.embed_tokens.weight instanceof HalfTensor);
    assert.ok(upcast.lm_head.weight instanceof Tensor);
    noGrad(() => {
      const x = ids([1, 5, 9, 3, 22, 17]);
      const a = held.forward({ inputIds: x });
      // Same decoded values, so only summation order differs.
      assertClose(a, upcast.forward({ inputIds: x }), { atol: 1e-5, rtol: 1e-5 });
      // Against the original float32 weights: F16 rounding (2^-11 relative) shows, a little.
      const b = lm.forward({ inputIds: x });
      assertClose(a, b, { atol: 5e-3, rtol: 0 });
      assert.ok(a.f32().some((v, i) => v !== b.f32()[i]), "the F16 model really is rounded");
    });
  });

  test("16-bit weights are not parameters; loaded with dtype float32 every weight is one, and the model trains", async () => {
    const folder = writeModel("f16-train", make(), "F16");
    const held = await LlamaForCausalLM.fromPretrained(folder);
    // Only the float32 norms remain (16-bit matrices are inference-only).
    assert.deepEqual([...held.stateDict().keys()].filter((k) => !k.endsWith("layernorm.weight")), ["model.norm.weight"]);
    const lm = await LlamaForCausalLM.fromPretrained(folder, { dtype: "float32" });
    const q = lm.model.layers.at(0).self_attn.q_proj.weight;
    assert.ok(q instanceof Tensor && q.requiresGrad && lm.parameters().includes(q));
    assert.equal(lm.stateDict().size, 2 * 9 + 3, "every key of the checkpoint is a parameter");
    const x = ids([1, 5, 9, 3, 22, 17]);
    const target = new Tensor(Int32Array.of(5, 9, 3, 22, 17, 2), [6]);
    const loss = () => crossEntropy(lm.forward({ inputIds: x }).reshape(6, -1), target);
    const opt = new SGD(lm.parameters(), { lr: 0.5 });
    const before = noGrad(() => loss().item());
    const qBefore = q.f32().slice();
    for (let step = 0; step < 3; step++) {
      opt.zeroGrad();
      loss().backward();
      opt.step();
    }
    assert.ok(q.f32().some((v, i) => v !== qBefore[i]), "the attention weight moved");
    assert.ok(noGrad(() => loss().item()) < before, "the loss went down");
  });

  test("tied embeddings: lm_head reads the embedding table; a stored lm_head copy is ignored", async () => {
    const lm = make({ tie_word_embeddings: true });
    assert.equal(lm.lm_head.weight, lm.model.embed_tokens.weight);
    const withoutHead = await LlamaForCausalLM.fromPretrained(writeModel("tied", lm, "BF16", {}, ["lm_head.weight"]));
    assert.equal(withoutHead.lm_head.weight, withoutHead.model.embed_tokens.weight);
    await LlamaForCausalLM.fromPretrained(writeModel("tied-copy", lm, "F32"));
  });

  test("strict: a missing, mis-shaped or unexpected key is a StateDictError naming it", async () => {
    const lm = make();
    await assert.rejects(LlamaForCausalLM.fromPretrained(writeModel("missing", lm, "F32", {}, ["model.layers.1.mlp.up_proj.weight"])), {
      name: "StateDictError", message: /missing keys: model\.layers\.1\.mlp\.up_proj\.weight/,
    });
    await assert.rejects(LlamaForCausalLM.fromPretrained(writeModel("extra", lm, "F32", { "model.layers.1.mlp.extra": new Tensor(new Float32Array(2), [2]) })), {
      name: "StateDictError", message: /unexpected keys: model\.layers\.1\.mlp\.extra/,
    });
    await assert.rejects(LlamaForCausalLM.fromPretrained(writeModel("shape", lm, "F32", { "model.norm.weight": new Tensor(new Float32Array(3), [3]) })), {
      name: "StateDictError", message: /model\.norm\.weight: expected \[32\], got \[3\]/,
    });
    // Older checkpoints carry rotary inv_freq buffers: recomputed, so skipped.
    await LlamaForCausalLM.fromPretrained(writeModel("inv-freq", lm, "F32", { "model.layers.0.self_attn.rotary_emb.inv_freq": new Tensor(new Float32Array(4), [4]) }));
  });
});
