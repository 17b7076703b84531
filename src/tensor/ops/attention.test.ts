import assert from "node:assert/strict";
import { test } from "node:test";
import { ShapeError } from "../../errors.js";
import {
  Generator, Tensor, attentionPackedHeads, attentionReference, mul, noGrad, permute, randn, scaledDotProductAttention, sum,
  zeros,
} from "../index.js";
import { assertClose } from "../../../test/support/assert.js";
import { forEachBackend } from "../../../test/support/backends.js";
import { checkGradients } from "../../../test/support/gradcheck.js";
import { type Params, caseInputs, fixtureCases, raw, runFixtureFamily } from "../../../test/support/fixtures.js";

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
  test("requiresGrad inputs get gradients from the fused backward kernel", () => {
    const q = randn([1, 2, 3, 4], { generator: g }).setRequiresGrad();
    const k = randn([1, 1, 3, 4], { generator: g });
    const v = randn([1, 1, 3, 4], { generator: g });
    const out = scaledDotProductAttention(q, k, v, { causal: true });
    assert.equal(out.gradFn?.op, "attention");
    sum(out).backward();
    assert.deepEqual(q.grad!.shape, [1, 2, 3, 4]);
    assert.equal(k.grad, null);
    checkGradients((a, b, c) => scaledDotProductAttention(a, b, c, { causal: true }), [q.detach(), k, v]);
  });

  /** [B, H, L, D] -> [B, L, H * D], the packed layout of the q/k/v projections. */
  const pack = (x: Tensor) => permute(x, [0, 2, 1, 3]).reshape(x.shape[0], x.shape[2], x.shape[1] * x.shape[3]);
  const gradShapes = [
    { name: "CLIP vision-like", b: 3, h: 2, hkv: 2, lq: 17, lk: 17, d: 64, causal: false, mask: false },
    { name: "causal text with padding mask", b: 2, h: 2, hkv: 2, lq: 9, lk: 9, d: 20, causal: true, mask: true },
    { name: "GQA, causal lq < lk, odd head size", b: 2, h: 4, hkv: 2, lq: 3, lk: 7, d: 5, causal: true, mask: false },
    { name: "causal lq > lk (queries seeing no key)", b: 1, h: 2, hkv: 1, lq: 6, lk: 4, d: 8, causal: true, mask: false },
  ];
  for (const s of gradShapes) {
    test(`fused gradients equal the recorded composition's, [B, H, L, D] and packed heads: ${s.name}`, () => {
      const q = randn([s.b, s.h, s.lq, s.d], { generator: g });
      const k = randn([s.b, s.hkv, s.lk, s.d], { generator: g });
      const v = randn([s.b, s.hkv, s.lk, s.d], { generator: g });
      const w = randn([s.b, s.h, s.lq, s.d], { generator: g });
      let mask: Tensor | null = null;
      if (s.mask) {
        mask = zeros([s.b, 1, 1, s.lk]);
        (mask.data as Float32Array).fill(-Infinity, s.lk - 2, s.lk);
      }
      const o = { causal: s.causal, mask };
      const grads = (attend: (q: Tensor, k: Tensor, v: Tensor) => Tensor) => {
        const leaves = [q, k, v].map((t) => t.detach().setRequiresGrad());
        const out = attend(leaves[0], leaves[1], leaves[2]);
        sum(mul(out, w)).backward();
        return { out, grads: leaves.map((t) => t.grad!) };
      };
      const want = grads((a, b, c) => attentionReference(a, b, c, o));
      // The reference leaves a query that sees no key at NaN (softmax of all -inf); the kernels
      // give it 0 (an empty sum), the forward's value: compare where the reference is defined.
      const defined = (x: Tensor, ref: Tensor) =>
        new Tensor((x.data as Float32Array).map((e, i) => (Number.isNaN((ref.data as Float32Array)[i]) ? NaN : e)), x.shape);
      const fused = grads((a, b, c) => scaledDotProductAttention(a, b, c, o));
      assertClose(defined(fused.out, want.out), want.out, { atol: 2e-5, rtol: 1e-4 });
      const packed = grads((a, b, c) => {
        const out = attentionPackedHeads(pack(a), pack(b), pack(c), s.h, s.hkv, o);
        return permute(out.reshape(s.b, s.lq, s.h, s.d), [0, 2, 1, 3]);
      });
      assertClose(packed.out, fused.out, { atol: 1e-6, rtol: 1e-6 });
      for (const [i, name] of ["q", "k", "v"].entries()) {
        const finite = want.grads[i].f32().every((x) => !Number.isNaN(x));
        if (finite) assertClose(fused.grads[i], want.grads[i], { atol: 2e-5, rtol: 1e-4 });
        assertClose(packed.grads[i], fused.grads[i], { atol: 1e-6, rtol: 1e-6 });
        assert.ok(finite || s.lq > s.lk, `${name} gradient of the reference`);
      }
    });
  }
  test("fused gradients by finite differences, packed heads (GQA, causal, mask)", () => {
    const q = randn([2, 3, 8], { generator: g });
    const k = randn([2, 5, 4], { generator: g });
    const v = randn([2, 5, 4], { generator: g });
    const mask = randn([2, 1, 3, 5], { generator: g });
    checkGradients((a, b, c) => attentionPackedHeads(a, b, c, 2, 1, { causal: true, mask }), [q, k, v], { wrt: [0, 1, 2] });
    checkGradients((a, b, c) => scaledDotProductAttention(a, b, c, { mask }), [
      randn([2, 2, 3, 4], { generator: g }), randn([2, 1, 5, 4], { generator: g }), randn([2, 1, 5, 4], { generator: g }),
    ], { wrt: [0, 1, 2] });
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
