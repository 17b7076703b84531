import assert from "node:assert/strict";
import { test } from "node:test";
import { ShapeError } from "../../errors.js";
import { Generator, type Tensor, layerNorm, randn, rmsNorm, scalar, sum, tensor, zeros } from "../index.js";
import { assertClose } from "../../../test/support/assert.js";
import { forEachBackend } from "../../../test/support/backends.js";
import { checkGradients } from "../../../test/support/gradcheck.js";
import { runFixtureFamily } from "../../../test/support/fixtures.js";

runFixtureFamily("norm", {
  layerNorm: ([x, w, b], p) => layerNorm(x, w, b, p.eps ?? 1e-5),
  rmsNorm: ([x, w], p) => rmsNorm(x, w, p.eps ?? 1e-6),
});

function layerNormRef(x: Tensor, w: Tensor | null, b: Tensor | null, eps: number): Float64Array {
  const cols = x.shape[x.ndim - 1];
  const d = x.f32();
  const out = new Float64Array(d.length);
  for (let r = 0; r < d.length / cols; r++) {
    const row = Array.from(d.subarray(r * cols, (r + 1) * cols));
    const mean = row.reduce((p, v) => p + v, 0) / cols;
    const variance = row.reduce((p, v) => p + (v - mean) ** 2, 0) / cols;
    row.forEach((v, j) => {
      out[r * cols + j] = ((v - mean) / Math.sqrt(variance + eps)) * (w ? (w.data[j] as number) : 1) + (b ? (b.data[j] as number) : 0);
    });
  }
  return out;
}

forEachBackend("norm edge cases", () => {
  const g = new Generator(21);
  test("layerNorm on 771-wide rows (vector body and tail) vs float64", () => {
    const x = randn([6, 771], { generator: g });
    const w = randn([771], { generator: g });
    const b = randn([771], { generator: g });
    assertClose(layerNorm(x, w, b), layerNormRef(x, w, b, 1e-5), { atol: 2e-5, rtol: 1e-5 });
  });
  test("layerNorm of rows with a large mean (a one-pass E[x^2] - E[x]^2 variance would cancel)", () => {
    // mean/std = 1e3: torch float32 stays within ~1e-4 here; at 1e6 torch itself is off by 0.15.
    const x = randn([4, 256], { generator: g, std: 1, mean: 1e3 });
    assertClose(layerNorm(x), layerNormRef(x, null, null, 1e-5), { atol: 1e-3, rtol: 1e-3 });
  });
  test("a constant row normalises to zeros (eps keeps it finite)", () => {
    assertClose(layerNorm(tensor([[3, 3, 3, 3]])), [0, 0, 0, 0], { atol: 1e-6 });
    assertClose(rmsNorm(tensor([[0, 0, 0]])), [0, 0, 0]);
  });
  test("NaN poisons its own row only", () => {
    const y = layerNorm(tensor([[1, NaN, 3], [1, 2, 3]]));
    assertClose(y, [NaN, NaN, NaN, ...layerNormRef(tensor([[1, 2, 3]]), null, null, 1e-5)], { atol: 1e-5 });
    const r = rmsNorm(tensor([[1, NaN], [3, 4]]));
    assertClose(r.reshape(-1).f32().subarray(2), [3 / Math.sqrt(12.5 + 1e-6), 4 / Math.sqrt(12.5 + 1e-6)]);
    assert.ok(Number.isNaN(r.at(0, 0)) && Number.isNaN(r.at(0, 1)));
  });
  test("huge values: rmsNorm of [1e20, 1e20] squares in float64-safe way or gives a finite 1", () => {
    // x^2 = 1e40 overflows float32; the reference semantics (torch, float32) give [0, 0], ours
    // must at least not invent values: both 1 (exact) and 0 (torch) are accepted, NaN is not.
    const y = rmsNorm(tensor([[1e20, 1e20]]));
    for (const v of y.f32()) assert.ok(v === 0 || Math.abs(v - 1) < 1e-6, `got ${v}`);
  });
  test("empty rows and 0-d", () => {
    assert.deepEqual(layerNorm(zeros([0, 4]), zeros([4]), zeros([4])).shape, [0, 4]);
    assert.deepEqual(rmsNorm(zeros([0, 4])).shape, [0, 4]);
    assert.throws(() => layerNorm(scalar(1)), ShapeError);
    assert.throws(() => rmsNorm(scalar(1)), ShapeError);
  });
  test("gradients by finite differences, weight only and bias only", () => {
    const x = randn([3, 5], { generator: g });
    const w = randn([5], { generator: g });
    checkGradients((a, b) => layerNorm(a, b), [x, w]);
    checkGradients((a, b) => layerNorm(a, null, b), [x, w]);
    checkGradients((a) => rmsNorm(a), [x]);
  });
  test("gradient of sum(layerNorm(x)) wrt x is ~0 (shift invariance)", () => {
    const x = randn([2, 6], { generator: g }).setRequiresGrad();
    sum(layerNorm(x)).backward();
    assertClose(x.grad!, new Float32Array(12), { atol: 1e-6 });
  });
  test("clear errors: affine parameters of the wrong size", () => {
    assert.throws(() => layerNorm(zeros([2, 4]), zeros([3])), (e) => e instanceof ShapeError && /weight \[3\]/.test(e.message));
    assert.throws(() => layerNorm(zeros([2, 4]), null, zeros([4, 1])), ShapeError);
    assert.throws(() => rmsNorm(zeros([2, 4]), zeros([5])), ShapeError);
  });
});
