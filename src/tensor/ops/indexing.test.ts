import assert from "node:assert/strict";
import { test } from "node:test";
import { ArgumentError, DTypeError, ShapeError } from "../../errors.js";
import { embedding, gather, indexCopy, indexSelect, randn, sum, tensor, zeros } from "../index.js";
import { assertClose } from "../../../test/support/assert.js";
import { forEachBackend } from "../../../test/support/backends.js";
import { runFixtureFamily } from "../../../test/support/fixtures.js";
import { checkGradients } from "../../../test/support/gradcheck.js";

runFixtureFamily("indexing", {
  indexSelect: ([x, i], p) => indexSelect(x, p.dim, i),
  embedding: ([ids, w]) => embedding(ids, w),
  gather: ([x, i], p) => gather(x, p.dim, i),
});

forEachBackend("indexing edge cases", () => {
  test("int32 and int64 ids give the same rows; negative ids count from the end", () => {
    const w = tensor([[1, 2], [3, 4], [5, 6]]);
    assertClose(embedding(tensor([2, 0], { dtype: "int32" }), w), [[5, 6], [1, 2]]);
    assertClose(embedding(tensor([2, 0], { dtype: "int64" }), w), [[5, 6], [1, 2]]);
    assertClose(indexSelect(w, 0, tensor([-1], { dtype: "int32" })), [[5, 6]]);
  });
  test("repeated ids accumulate their gradients", () => {
    const w = tensor([[1, 2], [3, 4]]).setRequiresGrad();
    sum(embedding(tensor([1, 1, 0, 1], { dtype: "int32" }), w)).backward();
    assertClose(w.grad!, [[1, 1], [3, 3]]);
  });
  test("0-d id gives one row; empty ids give [0, dim]", () => {
    const w = tensor([[1, 2], [3, 4]]);
    const one = embedding(tensor(Int32Array.of(1), { shape: [] }), w);
    assert.deepEqual(one.shape, [2]);
    assertClose(one, [3, 4]);
    assert.deepEqual(embedding(tensor(new Int32Array(0), { shape: [0] }), w).shape, [0, 2]);
    assert.deepEqual(gather(zeros([2, 3]), 1, tensor(new Int32Array(0), { shape: [2, 0] })).shape, [2, 0]);
  });
  test("NaN rows are copied as they are", () => {
    assertClose(embedding(tensor([0], { dtype: "int32" }), tensor([[NaN, 1]])), [[NaN, 1]]);
  });
  test("clear errors: out of range, float indices, bad ranks", () => {
    const w = zeros([3, 2]);
    assert.throws(() => embedding(tensor([3], { dtype: "int32" }), w), (e) => e instanceof ArgumentError && /index 3/.test(e.message));
    assert.throws(() => embedding(tensor([-4], { dtype: "int32" }), w), ArgumentError);
    assert.throws(() => embedding(tensor([0]), w), DTypeError);
    assert.throws(() => embedding(tensor([0], { dtype: "int32" }), zeros([3])), ShapeError);
    assert.throws(() => gather(w, 1, tensor([0], { dtype: "int32" })), ShapeError);
    assert.throws(() => gather(w, 1, tensor([[0], [0], [0], [0]], { dtype: "int32" })), ShapeError);
  });
});

forEachBackend("indexCopy", () => {
  const ids = (...v: number[]) => tensor(v, { dtype: "int32" });

  test("replaces the indexed rows in order along dim 0, and columns along dim 1", () => {
    const x = tensor([[1, 2], [3, 4], [5, 6], [7, 8]]);
    assertClose(indexCopy(x, 0, ids(3, 1), tensor([[10, 11], [12, 13]])), [[1, 2], [12, 13], [5, 6], [10, 11]]);
    assertClose(indexCopy(x, 1, ids(0), tensor([[9], [9], [9], [9]])), [[9, 2], [9, 4], [9, 6], [9, 8]]);
    assertClose(indexCopy(x, 0, tensor(new Int32Array(0), { shape: [0] }), zeros([0, 2])), x);
    assertClose(x, [[1, 2], [3, 4], [5, 6], [7, 8]], { atol: 0, rtol: 0 }, "the input is not changed");
  });

  test("a middle dim of a 3-d tensor, int64 and negative indices", () => {
    const x = zeros([2, 3, 2]);
    const src = tensor([[[1, 2]], [[3, 4]]]);
    assertClose(indexCopy(x, 1, tensor([-1], { dtype: "int64" }), src), [[[0, 0], [0, 0], [1, 2]], [[0, 0], [0, 0], [3, 4]]]);
  });

  test("gradients of both inputs match finite differences", () => {
    const x = randn([3, 5, 4]);
    const src = randn([3, 2, 4]);
    checkGradients((a, b) => indexCopy(a, 1, ids(4, 1), b), [x.setRequiresGrad(), src.setRequiresGrad()]);
    checkGradients((a, b) => indexCopy(a, -1, ids(0, 3), b), [randn([2, 4]).setRequiresGrad(), randn([2, 2]).setRequiresGrad()]);
  });

  test("the kept rows pass the gradient to the input, the replaced rows to the source", () => {
    const x = zeros([3, 2]).setRequiresGrad();
    const src = zeros([1, 2]).setRequiresGrad();
    sum(indexCopy(x, 0, ids(1), src)).backward();
    assertClose(x.grad!, [[1, 1], [0, 0], [1, 1]]);
    assertClose(src.grad!, [[1, 1]]);
  });

  test("clear errors: repeated, out-of-range or float indices, a source of the wrong shape", () => {
    const x = zeros([3, 2]);
    assert.throws(() => indexCopy(x, 0, ids(1, 1), zeros([2, 2])), (e) => e instanceof ArgumentError && /index 1 appears twice/.test(e.message));
    assert.throws(() => indexCopy(x, 0, ids(3), zeros([1, 2])), (e) => e instanceof ArgumentError && /index 3/.test(e.message));
    assert.throws(() => indexCopy(x, 0, tensor([0]), zeros([1, 2])), DTypeError);
    assert.throws(() => indexCopy(x, 0, ids(0, 2), zeros([1, 2])), (e) => e instanceof ShapeError && /source \[1, 2\] must be \[2, 2\]/.test(e.message));
    assert.throws(() => indexCopy(x, 0, tensor([[0]], { dtype: "int32" }), zeros([1, 2])), ShapeError);
  });
});
