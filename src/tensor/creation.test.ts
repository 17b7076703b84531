/** Creation, seeded random and the shape helpers exported next to the ops. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ArgumentError, ShapeError } from "../errors.js";
import {
  Generator, arange, asTensor, broadcastBinary, broadcastShapes, defaultGenerator, full, mapUnary, manualSeed, ones, onesLike,
  rand, randn, randperm, scalar, sizeOf, tensor, truncNormal, zeros, zerosLike,
} from "./index.js";
import { assertClose } from "../../test/support/assert.js";

test("creation: shapes, dtypes, 0-d and empty", () => {
  assert.deepEqual(zerosLike(ones([2, 3], "int32")).dtype, "int32");
  assertClose(onesLike(zeros([2])), [1, 1]);
  assertClose(full([2], 7), [7, 7]);
  assert.deepEqual(scalar(3).shape, []);
  assert.deepEqual(asTensor(3).shape, []);
  assert.deepEqual(zeros([0, 3]).size, 0);
  assert.deepEqual(arange(5).toFlatArray(), [0, 1, 2, 3, 4]);
  assert.deepEqual(arange(1, 2, 0.25, "float32").toFlatArray(), [1, 1.25, 1.5, 1.75]);
  assert.deepEqual(arange(3, 1).size, 0);
  assert.equal(tensor([1], { dtype: "int64" }).dtype, "int64");
  assert.throws(() => tensor([[1, 2], [3]]), ArgumentError);
  assert.throws(() => arange(0, 1, 0), ArgumentError);
  assert.throws(() => tensor(new Float32Array(3), { shape: [2, 2] }), ShapeError);
});

test("shape helpers: sizeOf, broadcastShapes, broadcastBinary, mapUnary", () => {
  assert.equal(sizeOf([]), 1);
  assert.equal(sizeOf([2, 0, 3]), 0);
  assert.deepEqual(broadcastShapes([2, 1, 3], [4, 1]), [2, 4, 3]);
  assert.deepEqual(broadcastShapes([], [0]), [0]);
  assert.throws(() => broadcastShapes([2], [3]), ShapeError);
  assertClose(broadcastBinary(tensor([[1], [2]]), tensor([10, 20]), (a, b) => a * b, "t"), [[10, 20], [20, 40]]);
  assertClose(mapUnary(tensor([1, -2]), Math.abs, "t"), [1, 2]);
});

test("seeded random: same seed, same stream; state save/restore; manualSeed resets the default", () => {
  assert.deepEqual(randn([5], { generator: new Generator(3) }).toFlatArray(), randn([5], { generator: new Generator(3) }).toFlatArray());
  const g = new Generator(4);
  g.normal();
  const state = g.getState();
  const a = randn([3], { generator: g }).toFlatArray();
  g.setState(state);
  assert.deepEqual(randn([3], { generator: g }).toFlatArray(), a);
  manualSeed(9);
  const b = rand([4]).toFlatArray();
  manualSeed(9);
  assert.deepEqual(rand([4], { generator: defaultGenerator }).toFlatArray(), b);
});

test("random distributions: rand in [low, high), randn moments, truncNormal bounds, randperm is a permutation", () => {
  const g = new Generator(5);
  const u = rand([5000], { low: -2, high: 3, generator: g }).f32();
  assert.ok(u.every((v) => v >= -2 && v < 3));
  const n = randn([20000], { mean: 1, std: 2, generator: g }).f32();
  const mean = n.reduce((p, v) => p + v, 0) / n.length;
  const sd = Math.sqrt(n.reduce((p, v) => p + (v - mean) ** 2, 0) / n.length);
  assert.ok(Math.abs(mean - 1) < 0.05 && Math.abs(sd - 2) < 0.05, `${mean} ${sd}`);
  const t = truncNormal([5000], { std: 0.02, generator: g }).f32();
  assert.ok(t.every((v) => Math.abs(v) <= 0.04 + 1e-9));
  const p = randperm(50, g).toFlatArray();
  assert.deepEqual([...p].sort((x, y) => x - y), [...Array(50).keys()]);
  assert.equal(randperm(0, g).size, 0);
});
