/**
 * Forward ops take their outputs from takeFloat32: unzeroed storage, or a spare array from the
 * last backward pass holding anything. Every backend must write each element of those outputs;
 * here the spares are NaN, and the results must equal a run on fresh storage.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  Generator, type Tensor, add, attentionPackedHeads, layerNorm, linear, matmul, mul, quickGelu, randn, rmsNorm, sum,
} from "./index.js";
import { dropRecycled, recycleFloat32 } from "./recycled.js";
import { assertClose } from "../../test/support/assert.js";
import { forEachBackend } from "../../test/support/backends.js";

/** The op on fresh storage, then again with NaN spares of the given lengths waiting in the pool. */
function sameOnPoisonedStorage(run: () => Tensor, lengths: number[], what: string): void {
  const expected = run().f32().slice();
  try {
    for (const n of lengths) recycleFloat32(new Float32Array(n).fill(NaN));
    const got = run();
    assertClose(got, expected, { atol: 0, rtol: 0 }, what);
  } finally {
    dropRecycled();
  }
}

forEachBackend("forward outputs in recycled storage", () => {
  test("linear, matmul, norms, activation and residual add write every element", () => {
    const g = new Generator(3);
    const x = randn([5, 7], { generator: g });
    const w = randn([6, 7], { generator: g });
    const b = randn([6], { generator: g });
    sameOnPoisonedStorage(() => linear(x, w, b), [30], "linear");
    sameOnPoisonedStorage(() => linear(randn([5, 0]), randn([6, 0]), b), [30], "linear with k = 0");
    const a3 = randn([2, 5, 7], { generator: g });
    const b3 = randn([2, 7, 4], { generator: g });
    sameOnPoisonedStorage(() => matmul(a3, b3), [40], "matmul");
    const norm = randn([7], { generator: g });
    sameOnPoisonedStorage(() => layerNorm(x, norm, norm), [35], "layerNorm");
    sameOnPoisonedStorage(() => rmsNorm(x, norm), [35], "rmsNorm");
    sameOnPoisonedStorage(() => quickGelu(x), [35], "quickGelu");
    sameOnPoisonedStorage(() => add(x, x), [35], "add");
  });

  test("attention writes its output and kept probabilities, also for queries that see no key", () => {
    const g = new Generator(4);
    // lq > lk under causality: the first queries see no key.
    const [b, lq, lk, heads, d] = [2, 5, 3, 2, 4];
    const q = randn([b, lq, heads * d], { generator: g }).setRequiresGrad();
    const k = randn([b, lk, heads * d], { generator: g });
    const v = randn([b, lk, heads * d], { generator: g });
    const upstream = randn([b, lq, heads * d], { generator: g });
    const gradient = (): Float32Array => {
      q.grad = null;
      sum(mul(attentionPackedHeads(q, k, v, heads, heads, { causal: true }), upstream)).backward();
      return q.grad!.f32().slice();
    };
    sameOnPoisonedStorage(() => attentionPackedHeads(q, k, v, heads, heads, { causal: true }), [b * lq * heads * d, b * heads * lq * lk], "attention");
    const expected = gradient();
    for (const n of [b * lq * heads * d, b * heads * lq * lk]) recycleFloat32(new Float32Array(n).fill(NaN));
    assertClose(gradient(), expected, { atol: 0, rtol: 0 }, "attention gradient through poisoned probabilities");
    assert.ok(expected.every(Number.isFinite));
  });
});
