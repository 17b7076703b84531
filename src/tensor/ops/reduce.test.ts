import assert from "node:assert/strict";
import { test } from "node:test";
import { ArgumentError } from "../../errors.js";
import {
  argmax, argmin, max, maxWithIndices, mean, min, scalar, sum, sumToShape, tensor, zeros,
} from "../index.js";
import { assertClose } from "../../../test/support/assert.js";
import { forEachBackend } from "../../../test/support/backends.js";
import { checkGradients } from "../../../test/support/gradcheck.js";
import { runFixtureFamily } from "../../../test/support/fixtures.js";

runFixtureFamily("reduce", {
  sum: ([x], p) => sum(x, p.axes, p.keepDim ?? false),
  mean: ([x], p) => mean(x, p.axes, p.keepDim ?? false),
  max: ([x], p) => max(x, p.axis, p.keepDim ?? false),
  min: ([x], p) => min(x, p.axis, p.keepDim ?? false),
  argmax: ([x], p) => argmax(x, p.axis, p.keepDim ?? false),
  argmin: ([x], p) => argmin(x, p.axis, p.keepDim ?? false),
  sumToShape: ([x], p) => sumToShape(x, p.shape),
});

forEachBackend("reduction edge cases", () => {
  test("empty: sum of [0,3] over axis 0 is zeros [3], over all is 0; mean of nothing is NaN", () => {
    assertClose(sum(zeros([0, 3]), 0), [0, 0, 0]);
    assert.deepEqual(sum(zeros([0, 3]), 1).shape, [0]);
    assertClose(sum(zeros([0, 3])), [0]);
    assertClose(mean(zeros([0, 3]), 0), [NaN, NaN, NaN]);
  });
  test("max over a non-empty axis of an empty tensor is empty; over an empty axis it throws", () => {
    assert.deepEqual(max(zeros([0, 3]), 1).shape, [0]);
    assert.deepEqual(argmax(zeros([0, 3]), 1).shape, [0]);
    assert.throws(() => max(zeros([0, 3]), 0), ArgumentError);
    assert.throws(() => max(zeros([0])), ArgumentError);
  });
  test("0-d: sum, mean, max of a scalar are 0-d", () => {
    for (const y of [sum(scalar(3)), mean(scalar(3)), max(scalar(3)), min(scalar(3))]) {
      assert.deepEqual(y.shape, []);
      assert.equal(y.item(), 3);
    }
    assert.equal(argmax(scalar(3)).item(), 0);
  });
  test("NaN: sum and mean propagate; max/min return NaN and argmax points at it", () => {
    const x = tensor([[1, NaN, 3], [4, 5, 6]]);
    assertClose(sum(x, 1), [NaN, 15]);
    assertClose(mean(x, 0), [2.5, NaN, 4.5]);
    assertClose(max(x, 1), [NaN, 6]);
    assertClose(min(x, 1), [NaN, 4]);
    assert.deepEqual(argmax(x, 1).toFlatArray(), [1, 2]);
    assert.ok(Number.isNaN(max(x).item()));
  });
  test("overflow: float32 sum of large values is inf; float64 accumulation keeps 1e8 + 1 - 1e8", () => {
    assertClose(sum(tensor([3e38, 3e38])), [Infinity]);
    assertClose(sum(tensor([1e8, 1, -1e8, 1])), [2]);
  });
  test("infinities: max picks inf, sum of inf and -inf is NaN", () => {
    assertClose(max(tensor([1, Infinity, -Infinity])), [Infinity]);
    assertClose(min(tensor([-Infinity, -Infinity])), [-Infinity]);
    assertClose(sum(tensor([Infinity, -Infinity])), [NaN]);
  });
  test("ties: argmax/argmin take the first index; max's gradient goes to it", () => {
    assert.deepEqual(argmax(tensor([[2, 5, 5], [1, 1, 0]]), 1).toFlatArray(), [1, 0]);
    assert.deepEqual(argmin(tensor([[2, 0, 0]]), 1).toFlatArray(), [1]);
    const x = tensor([[2, 5, 5]]).setRequiresGrad();
    sum(max(x, 1)).backward();
    assertClose(x.grad!, [[0, 1, 0]]);
  });
  test("maxWithIndices: values and indices along an axis", () => {
    const { values, indices } = maxWithIndices(tensor([[1, 9, 3], [7, 2, 8]]), -1, true);
    assert.deepEqual(values.shape, [2, 1]);
    assertClose(values, [9, 8]);
    assert.deepEqual(indices.toFlatArray(), [1, 2]);
    assert.equal(indices.dtype, "int32");
  });
  test("gradients with multiple axes and keepDim, by finite differences", () => {
    const x = tensor(Float32Array.from({ length: 24 }, (_, i) => Math.sin(i)), { shape: [2, 3, 4] });
    checkGradients((t) => sum(t, [0, 2], true), [x]);
    checkGradients((t) => mean(t, [-1, 0]), [x]);
    checkGradients((t) => mean(t), [x]);
  });
  test("clear errors: bad axis, repeated axis", () => {
    assert.throws(() => sum(zeros([2, 3]), 2), (e) => e instanceof ArgumentError && /axis 2/.test(e.message));
    assert.throws(() => sum(zeros([2, 3]), [1, -1]), ArgumentError);
    assert.throws(() => argmax(zeros([2]), -2), ArgumentError);
  });
});
