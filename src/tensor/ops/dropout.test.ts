import assert from "node:assert/strict";
import { test } from "node:test";
import { ArgumentError } from "../../errors.js";
import { Generator, dropout, ones, randn, scalar, sum, zeros } from "../index.js";
import { assertClose } from "../../../test/support/assert.js";
import { forEachBackend } from "../../../test/support/backends.js";

forEachBackend("dropout", () => {
  test("same seed -> same mask; another seed -> another mask", () => {
    const x = ones([1000]);
    const a = dropout(x, 0.3, true, new Generator(42)).toFlatArray();
    const b = dropout(x, 0.3, true, new Generator(42)).toFlatArray();
    const c = dropout(x, 0.3, true, new Generator(43)).toFlatArray();
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });
  test("expected scale: kept values are x / (1 - p), about p of them are zero, the mean is kept", () => {
    const p = 0.25;
    const n = 20000;
    const y = dropout(ones([n]), p, true, new Generator(1)).f32();
    const zerosCount = y.filter((v) => v === 0).length;
    for (const v of y) assert.ok(v === 0 || Math.abs(v - 1 / (1 - p)) < 1e-6);
    // Binomial(n, p): sd = sqrt(n p (1-p)) ~ 61; allow 5 sd.
    assert.ok(Math.abs(zerosCount - n * p) < 5 * Math.sqrt(n * p * (1 - p)), `${zerosCount} zeros`);
    const mean = y.reduce((s, v) => s + v, 0) / n;
    assert.ok(Math.abs(mean - 1) < 0.03, `mean ${mean}`);
  });
  test("p = 0 and eval mode are the identity (the same tensor); p = 1 gives zeros and zero gradients", () => {
    const x = randn([4, 5], { generator: new Generator(2) });
    assert.equal(dropout(x, 0), x);
    assert.equal(dropout(x, 0.5, false), x);
    const w = randn([4, 5], { generator: new Generator(3) }).setRequiresGrad();
    const y = dropout(w, 1, true, new Generator(0));
    assertClose(y, new Float32Array(20), { atol: 0 });
    sum(y).backward();
    assertClose(w.grad!, new Float32Array(20), { atol: 0 });
  });
  test("the gradient is the mask itself (same seed)", () => {
    const x = randn([50], { generator: new Generator(4) }).setRequiresGrad();
    sum(dropout(x, 0.4, true, new Generator(9))).backward();
    const mask = dropout(ones([50]), 0.4, true, new Generator(9));
    assertClose(x.grad!, mask, { atol: 0 });
  });
  test("NaN stays NaN where kept; 0-d and empty work", () => {
    const x = ones([200]);
    (x.data as Float32Array).fill(NaN, 0, 100);
    const y = dropout(x, 0.5, true, new Generator(5)).f32();
    const mask = dropout(ones([200]), 0.5, true, new Generator(5)).f32();
    for (let i = 0; i < 100; i++) assert.ok(mask[i] === 0 ? y[i] === 0 || Number.isNaN(y[i]) : Number.isNaN(y[i]), `${i}`);
    assert.deepEqual(dropout(scalar(2), 0.5, true, new Generator(6)).shape, []);
    assert.deepEqual(dropout(zeros([0, 3]), 0.5, true, new Generator(6)).shape, [0, 3]);
  });
  test("clear errors: p outside [0, 1]", () => {
    assert.throws(() => dropout(ones([2]), 1.5), ArgumentError);
    assert.throws(() => dropout(ones([2]), -0.1), ArgumentError);
    assert.throws(() => dropout(ones([2]), NaN), ArgumentError);
  });
});
