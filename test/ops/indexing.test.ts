import assert from "node:assert/strict";
import { test } from "node:test";
import { ArgumentError, DTypeError, ShapeError } from "../../src/errors.js";
import { embedding, gather, indexSelect, sum, tensor, zeros } from "../../src/tensor/index.js";
import { assertClose } from "../support/assert.js";
import { forEachBackend } from "../support/backends.js";
import { runFixtureFamily } from "../support/fixtures.js";

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
