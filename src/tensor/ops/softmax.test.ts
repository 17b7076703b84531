import assert from "node:assert/strict";
import { test } from "node:test";
import { ArgumentError } from "../../errors.js";
import { Generator, logSoftmax, logsumexp, randn, scalar, softmax, tensor, zeros } from "../index.js";
import { assertClose } from "../../../test/support/assert.js";
import { forEachBackend } from "../../../test/support/backends.js";
import { checkGradients } from "../../../test/support/gradcheck.js";
import { runFixtureFamily } from "../../../test/support/fixtures.js";

runFixtureFamily("softmax", {
  softmax: ([x], p) => softmax(x, p.dim ?? -1),
  logSoftmax: ([x], p) => logSoftmax(x, p.dim ?? -1),
  logsumexp: ([x], p) => logsumexp(x, p.dim ?? -1, p.keepDim ?? false),
});

forEachBackend("softmax edge cases", () => {
  test("huge logits stay finite: softmax([1000, 0, -1000]) = [1, 0, 0]", () => {
    assertClose(softmax(tensor([[1000, 0, -1000], [-1e30, -1e30, -1e30]])), [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]], { atol: 1e-7 });
    assertClose(logSoftmax(tensor([1000, 0])), [0, -1000]);
  });
  test("logsumexp([1000, 1000]) = 1000 + log 2, logsumexp([-1000, -1000]) = -1000 + log 2", () => {
    assertClose(logsumexp(tensor([1000, 1000])), [1000 + Math.LN2], { rtol: 1e-7 });
    assertClose(logsumexp(tensor([-1000, -1000])), [-1000 + Math.LN2], { rtol: 1e-7 });
    assertClose(logsumexp(tensor([-Infinity, -Infinity])), [-Infinity]);
    assertClose(logsumexp(tensor([Infinity, 1])), [Infinity]);
  });
  test("-inf entries get probability 0; a fully masked row is NaN (as torch)", () => {
    assertClose(softmax(tensor([[0, -Infinity, 0], [-Infinity, -Infinity, -Infinity]])), [[0.5, 0, 0.5], [NaN, NaN, NaN]]);
    assertClose(logSoftmax(tensor([0, -Infinity])), [0, -Infinity]);
  });
  test("NaN poisons its own row only", () => {
    const x = tensor([[1, NaN, 2], [1, 2, 3]]);
    const ref = softmax(tensor([1, 2, 3])).toFlatArray();
    assertClose(softmax(x), [NaN, NaN, NaN, ...ref]);
    assertClose(logSoftmax(x), [NaN, NaN, NaN, ...ref.map(Math.log)], { atol: 1e-6 });
    assertClose(logsumexp(x), [NaN, Math.log(Math.E + Math.E ** 2 + Math.E ** 3)]);
    assertClose(softmax(x, 0).reshape(-1).f32().subarray(0, 1), [0.5]);
    assert.ok(Number.isNaN(softmax(x, 0).at(0, 1)));
  });
  test("long rows (vector body and tail) match float64", () => {
    const x = randn([5, 1003], { std: 3, generator: new Generator(2) });
    const d = x.f32();
    const ref = new Float64Array(d.length);
    for (let r = 0; r < 5; r++) {
      const row = Array.from(d.subarray(r * 1003, (r + 1) * 1003));
      const m = Math.max(...row);
      const s = row.reduce((p, v) => p + Math.exp(v - m), 0);
      row.forEach((v, j) => (ref[r * 1003 + j] = Math.exp(v - m) / s));
    }
    assertClose(softmax(x), ref, { atol: 1e-8, rtol: 1e-5 });
    assertClose(logSoftmax(x), ref.map(Math.log), { atol: 1e-5, rtol: 1e-5 });
  });
  test("0-d and empty", () => {
    assert.equal(softmax(scalar(5)).item(), 1);
    assert.equal(logSoftmax(scalar(5)).item(), 0);
    assert.equal(logsumexp(scalar(5)).item(), 5);
    assert.deepEqual(softmax(zeros([0, 5])).shape, [0, 5]);
    assert.deepEqual(softmax(zeros([3, 0])).shape, [3, 0]);
    assertClose(logsumexp(zeros([2, 0])), [-Infinity, -Infinity]);
  });
  test("gradients by finite differences on a non-last axis of a 4-d tensor", () => {
    const x = randn([2, 3, 2, 2], { generator: new Generator(8) });
    checkGradients((t) => softmax(t, 1), [x]);
    checkGradients((t) => logSoftmax(t, 2), [x]);
    checkGradients((t) => logsumexp(t, 1, true), [x]);
  });
  test("clear errors: bad dim", () => {
    assert.throws(() => softmax(zeros([2, 3]), 2), ArgumentError);
    assert.throws(() => logsumexp(zeros([2, 3]), -3), ArgumentError);
  });
});
