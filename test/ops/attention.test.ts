import assert from "node:assert/strict";
import { test } from "node:test";
import { ShapeError } from "../../src/errors.js";
import {
  Generator, type Tensor, attentionReference, noGrad, randn, scaledDotProductAttention, sum, zeros,
} from "../../src/tensor/index.js";
import { assertClose } from "../support/assert.js";
import { forEachBackend } from "../support/backends.js";
import { checkGradients } from "../support/gradcheck.js";
import { type Params, caseInputs, fixtureCases, raw, runFixtureFamily } from "../support/fixtures.js";

const opts = (xs: Tensor[], p: Params) => ({ causal: p.causal ?? false, scale: p.scale, mask: xs[3] ?? null });

// Gradients (vs torch and by finite differences) go through the recorded composition.
runFixtureFamily("attention", { attention: (xs, p) => attentionReference(xs[0], xs[1], xs[2], opts(xs, p)) });

forEachBackend("fused attention", () => {
  for (const c of fixtureCases("attention")) {
    test(`fused kernel vs PyTorch: ${c.name}`, () => {
      const xs = caseInputs(c);
      const out = noGrad(() => scaledDotProductAttention(xs[0], xs[1], xs[2], opts(xs, c.params)));
      assertClose(out, raw(c.out).data as Float32Array, { atol: 1e-5, rtol: 1e-4 });
    });
  }

  const g = new Generator(77);
  const shapes = [
    { name: "ViT-like, no mask", b: 2, h: 3, hkv: 3, lq: 17, lk: 17, d: 64, causal: false, mask: "none" },
    { name: "decode: causal lq < lk, GQA", b: 1, h: 8, hkv: 2, lq: 5, lk: 33, d: 32, causal: true, mask: "none" },
    { name: "padding mask [B,1,1,Lk]", b: 2, h: 4, hkv: 4, lq: 9, lk: 9, d: 16, causal: false, mask: "pad" },
    { name: "full mask [B,H,Lq,Lk] + causal", b: 2, h: 2, hkv: 1, lq: 7, lk: 11, d: 8, causal: true, mask: "full" },
    { name: "one query (lq = 1)", b: 3, h: 2, hkv: 2, lq: 1, lk: 40, d: 24, causal: true, mask: "none" },
  ];
  for (const s of shapes) {
    test(`fused vs attentionReference at kernel sizes: ${s.name}`, () => {
      const q = randn([s.b, s.h, s.lq, s.d], { generator: g });
      const k = randn([s.b, s.hkv, s.lk, s.d], { generator: g });
      const v = randn([s.b, s.hkv, s.lk, s.d], { generator: g });
      let mask: Tensor | null = null;
      if (s.mask === "pad") {
        mask = zeros([s.b, 1, 1, s.lk]);
        (mask.data as Float32Array).fill(-Infinity, s.lk - 3, s.lk); // batch 0: last 3 keys hidden
      } else if (s.mask === "full") {
        mask = randn([s.b, s.h, s.lq, s.lk], { generator: g });
      }
      const o = { causal: s.causal, mask };
      const fused = noGrad(() => scaledDotProductAttention(q, k, v, o));
      assertClose(fused, noGrad(() => attentionReference(q, k, v, o)), { atol: 2e-5, rtol: 1e-4 });
    });
  }

  test("a row whose keys are all masked is NaN on both paths (as softmax of all -inf)", () => {
    const q = randn([1, 1, 2, 4], { generator: g });
    const k = randn([1, 1, 3, 4], { generator: g });
    const v = randn([1, 1, 3, 4], { generator: g });
    const mask = zeros([1, 1, 2, 3]);
    (mask.data as Float32Array).fill(-Infinity, 0, 3);
    const fused = noGrad(() => scaledDotProductAttention(q, k, v, { mask }));
    const ref = attentionReference(q, k, v, { mask });
    assertClose(fused, ref);
    assert.ok(Number.isNaN(fused.at(0, 0, 0, 0)) && !Number.isNaN(fused.at(0, 0, 1, 0)));
  });
  test("huge scores stay finite (max-subtracted), NaN in v reaches every query that sees it", () => {
    const q = randn([1, 1, 3, 4], { generator: g });
    const k = randn([1, 1, 3, 4], { generator: g });
    const v = randn([1, 1, 3, 4], { generator: g });
    const out = noGrad(() => scaledDotProductAttention(q, k, v, { scale: 1e4 }));
    for (const x of out.f32()) assert.ok(Number.isFinite(x));
    assertClose(out, attentionReference(q, k, v, { scale: 1e4 }), { atol: 1e-4 });
    (v.data as Float32Array)[2 * 4] = NaN; // key 2
    const causal = noGrad(() => scaledDotProductAttention(q, k, v, { causal: true }));
    assert.deepEqual([0, 1, 2].map((i) => Number.isNaN(causal.at(0, 0, i, 0))), [false, false, true]);
  });
  test("requiresGrad inputs take the recorded path and get gradients", () => {
    const q = randn([1, 2, 3, 4], { generator: g }).setRequiresGrad();
    const k = randn([1, 1, 3, 4], { generator: g });
    const v = randn([1, 1, 3, 4], { generator: g });
    sum(scaledDotProductAttention(q, k, v, { causal: true })).backward();
    assert.deepEqual(q.grad!.shape, [1, 2, 3, 4]);
    checkGradients((a, b, c) => scaledDotProductAttention(a, b, c, { causal: true }), [q.detach(), k, v]);
  });
  test("empty batch and lq = 0", () => {
    assert.deepEqual(noGrad(() => scaledDotProductAttention(zeros([0, 2, 3, 4]), zeros([0, 2, 3, 4]), zeros([0, 2, 3, 4]))).shape, [0, 2, 3, 4]);
    assert.deepEqual(noGrad(() => scaledDotProductAttention(zeros([1, 2, 0, 4]), zeros([1, 2, 3, 4]), zeros([1, 2, 3, 4]))).shape, [1, 2, 0, 4]);
  });
  test("clear errors", () => {
    const x = zeros([1, 4, 3, 8]);
    assert.throws(() => scaledDotProductAttention(zeros([4, 3, 8]), x, x), ShapeError);
    assert.throws(() => scaledDotProductAttention(x, zeros([1, 3, 3, 8]), zeros([1, 3, 3, 8])), (e) => e instanceof ShapeError && /multiple/.test(e.message));
    assert.throws(() => scaledDotProductAttention(x, zeros([1, 4, 3, 7]), zeros([1, 4, 3, 7])), ShapeError);
    assert.throws(() => scaledDotProductAttention(x, x, zeros([1, 4, 2, 8])), ShapeError);
    assert.throws(() => scaledDotProductAttention(x, x, x, { mask: zeros([1, 1, 1, 5]) }), ShapeError);
    assert.throws(() => scaledDotProductAttention(x, x, x, { mask: zeros([2, 1, 1, 3]) }), ShapeError);
  });
});
