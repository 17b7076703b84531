import assert from "node:assert/strict";
import { test } from "node:test";
import { ArgumentError, ShapeError } from "../../errors.js";
import {
  type Tensor, arange, chunk, concat, expand, flatten, permute, scalar, slice, split, squeeze, stack, sum, tensor,
  transpose, unsqueeze, zeros,
} from "../index.js";
import { assertClose } from "../../../test/support/assert.js";
import { forEachBackend } from "../../../test/support/backends.js";
import { checkGradients } from "../../../test/support/gradcheck.js";
import { runFixtureFamily } from "../../../test/support/fixtures.js";

const flatCat = (parts: Tensor[]) => concat(parts.map((p) => p.reshape(-1)));

runFixtureFamily("layout", {
  reshape: ([x], p) => x.reshape(p.shape),
  permute: ([x], p) => permute(x, p.dims),
  transpose: ([x], p) => transpose(x, p.dim0, p.dim1),
  slice: ([x], p) => slice(x, p.dim, p.start, p.end ?? undefined, p.step ?? 1),
  concat: (xs, p) => concat(xs, p.dim),
  stack: (xs, p) => stack(xs, p.dim),
  split: ([x], p) => flatCat(split(x, p.sizes, p.dim)),
  chunk: ([x], p) => flatCat(chunk(x, p.chunks, p.dim)),
  squeeze: ([x], p) => squeeze(x, p.dim),
  unsqueeze: ([x], p) => unsqueeze(x, p.dim),
  flatten: ([x], p) => flatten(x, p.start, p.end),
  expand: ([x], p) => expand(x, p.shape),
});

forEachBackend("layout edge cases", () => {
  test("0-d: unsqueeze, flatten, reshape, permute([]), stack of scalars", () => {
    assert.deepEqual(unsqueeze(scalar(2), 0).shape, [1]);
    assert.deepEqual(flatten(scalar(2)).shape, [1]);
    assert.deepEqual(scalar(2).reshape(1, 1).shape, [1, 1]);
    assert.equal(permute(scalar(2), []).item(), 2);
    const s = stack([scalar(1), scalar(2)]);
    assert.deepEqual(s.shape, [2]);
    assertClose(s, [1, 2]);
  });
  test("empty: permute [0,3], an empty slice, concat with an empty piece, split of an empty dim", () => {
    assert.deepEqual(permute(zeros([0, 3]), [1, 0]).shape, [3, 0]);
    assert.deepEqual(slice(zeros([4, 2]), 0, 3, 1).shape, [0, 2]);
    const a = tensor([[1, 2]]).setRequiresGrad();
    const c = concat([a, zeros([0, 2])]);
    assertClose(c, [[1, 2]]);
    sum(c).backward();
    assertClose(a.grad!, [[1, 1]]);
    assert.deepEqual(concat([zeros([2, 0]), zeros([2, 3])], 1).shape, [2, 3]);
  });
  test("int tensors keep their dtype through permute, slice, concat, expand", () => {
    const x = arange(6).reshape(2, 3);
    assert.equal(permute(x, [1, 0]).dtype, "int32");
    assert.deepEqual(permute(x, [1, 0]).toFlatArray(), [0, 3, 1, 4, 2, 5]);
    assert.deepEqual(slice(x, 1, 0, 3, 2).toFlatArray(), [0, 2, 3, 5]);
    assert.equal(concat([x, x]).dtype, "int32");
    assert.deepEqual(expand(arange(2).reshape(2, 1), [2, 2]).toFlatArray(), [0, 0, 1, 1]);
  });
  test("NaN and inf are copied, not touched", () => {
    assertClose(permute(tensor([[NaN, Infinity], [-Infinity, 1]]), [1, 0]), [[NaN, -Infinity], [Infinity, 1]]);
  });
  test("reshape is a view: gradients flow through a chain of views", () => {
    const x = tensor(Float32Array.from({ length: 12 }, (_, i) => i / 7), { shape: [3, 4] });
    checkGradients((t) => squeeze(unsqueeze(flatten(transpose(t.reshape(2, 6), 0, 1)), 0)), [x]);
    checkGradients((t) => concat(split(permute(t, [1, 0]), [1, 3]).reverse(), 0), [x]);
  });
  test("slice clamps out-of-range bounds like Python", () => {
    assertClose(slice(tensor([0, 1, 2, 3]), 0, -10, 10, 3), [0, 3]);
    assertClose(slice(tensor([0, 1, 2, 3]), 0, 3, 1), []);
  });
  test("clear errors", () => {
    assert.throws(() => tensor([1, 2, 3]).reshape(2, 2), ShapeError);
    assert.throws(() => zeros([2, 3]).reshape(-1, -1), ShapeError);
    assert.throws(() => concat([zeros([2, 3]), zeros([3, 2])]), (e) => e instanceof ShapeError && /\[2, 3\], \[3, 2\]/.test(e.message));
    assert.throws(() => concat([]), ArgumentError);
    assert.throws(() => stack([zeros([2]), zeros([3])]), ShapeError);
    assert.throws(() => split(zeros([5]), [2, 2]), ShapeError);
    assert.throws(() => permute(zeros([2, 3]), [0, 0]), ArgumentError);
    assert.throws(() => permute(zeros([2, 3]), [0]), ArgumentError);
    assert.throws(() => expand(zeros([2, 3]), [4, 3]), ShapeError);
    assert.throws(() => slice(zeros([4]), 0, 0, 4, 0), ArgumentError);
    assert.throws(() => transpose(zeros([2, 3]), 0, 2), ArgumentError);
  });
});
