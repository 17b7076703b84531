import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DTypeError, ShapeError } from "../../errors.js";
import {
  type Tensor, abs, add, clamp, countNaN, div, equal, erf, exp, greater, less, log, maximum, minimum, mul, neg, pow,
  relu, rsqrt, scalar, sigmoid, sqrt, sub, sum, tanh, tensor, where, zeros,
} from "../index.js";
import { assertClose } from "../../../test/support/assert.js";
import { forEachBackend } from "../../../test/support/backends.js";
import { checkGradients } from "../../../test/support/gradcheck.js";
import { type OpFn, runFixtureFamily } from "../../../test/support/fixtures.js";

const binary = (f: (a: Tensor, b: Tensor) => Tensor): OpFn => ([a, b]) => f(a, b);
const unary = (f: (a: Tensor) => Tensor): OpFn => ([a]) => f(a);

runFixtureFamily("elementwise", {
  add: binary(add), sub: binary(sub), mul: binary(mul), div: binary(div), pow: binary(pow),
  powScalar: ([a], p) => pow(a, p.exponent),
  maximum: binary(maximum), minimum: binary(minimum),
  where: ([c, a, b]) => where(c, a, b),
  greater: binary(greater), less: binary(less), equal: binary(equal),
  neg: unary(neg), exp: unary(exp), log: unary(log), sqrt: unary(sqrt), rsqrt: unary(rsqrt), tanh: unary(tanh),
  sigmoid: unary(sigmoid), erf: unary(erf), abs: unary(abs), relu: unary(relu),
  clamp: ([a], p) => clamp(a, p.min ?? -Infinity, p.max ?? Infinity),
});

forEachBackend("elementwise edge cases", () => {
  test("overflow: exp(100) = inf, exp(89) = inf in float32, 3e38 * 10 = inf", () => {
    assertClose(exp(tensor([100, 89, 88])), [Infinity, Infinity, Math.fround(Math.exp(88))], { rtol: 1e-6 });
    assertClose(mul(tensor([3e38, -3e38]), 10), [Infinity, -Infinity]);
  });
  test("underflow: exp(-200) = 0, sigmoid(-100) ~ 0, sigmoid(100) = 1, tanh saturates", () => {
    assertClose(exp(tensor([-200, -104])), [0, 0], { atol: 0 });
    const s = sigmoid(tensor([-100, 100, -Infinity, Infinity]));
    assert.ok(s.data[0] >= 0 && s.data[0] < 1e-40, `sigmoid(-100) = ${s.data[0]}`);
    assertClose(s, [Number(s.data[0]), 1, 0, 1], { atol: 0, rtol: 0 });
    assertClose(tanh(tensor([-50, 50, -Infinity, Infinity])), [-1, 1, -1, 1], { atol: 0 });
    assertClose(erf(tensor([-10, 10, -Infinity, Infinity])), [-1, 1, -1, 1], { atol: 0 });
  });
  test("domain edges: log(0) = -inf, log(-1) = NaN, sqrt(-1) = NaN, rsqrt(0) = inf, 1/0, 0/0", () => {
    assertClose(log(tensor([0, -1])), [-Infinity, NaN]);
    assertClose(sqrt(tensor([-1, 0])), [NaN, 0]);
    assertClose(rsqrt(tensor([0])), [Infinity]);
    assertClose(div(tensor([1, -1, 0]), 0), [Infinity, -Infinity, NaN]);
  });
  test("NaN propagates through arithmetic, unary math, relu, clamp, maximum/minimum", () => {
    const x = tensor([NaN, 1]);
    for (const y of [add(x, 1), mul(x, 2), div(x, 3), pow(x, 2), exp(x), log(x), tanh(x), sigmoid(x), erf(x), abs(x), relu(x), neg(x), clamp(x, 0, 0.5)]) {
      assert.ok(Number.isNaN(y.data[0]), `${y}`);
    }
    assertClose(maximum(tensor([NaN, 1]), tensor([1, NaN])), [NaN, NaN]);
    assertClose(minimum(tensor([NaN, 1]), tensor([1, NaN])), [NaN, NaN]);
    assert.equal(countNaN(tensor([NaN, 1, NaN])), 2);
  });
  test("comparisons with NaN are false", () => {
    assertClose(greater(tensor([NaN]), 0), [0]);
    assertClose(less(tensor([NaN]), 0), [0]);
    assertClose(equal(tensor([NaN]), tensor([NaN])), [0]);
  });
  test("0-d tensors: shape [] in and out, gradients shaped []", () => {
    const a = scalar(2).setRequiresGrad();
    const b = scalar(3).setRequiresGrad();
    const y = mul(add(a, b), a);
    assert.deepEqual(y.shape, []);
    assert.equal(y.item(), 10);
    y.backward();
    assert.deepEqual(a.grad!.shape, []);
    assert.equal(a.grad!.item(), 7);
    assert.equal(b.grad!.item(), 2);
    assert.deepEqual(exp(scalar(0)).shape, []);
    checkGradients((p, q) => div(mul(p, q), add(q, 1)), [scalar(0.7), scalar(1.3)]);
  });
  test("empty shapes: [0,3] + [3] is [0,3], gradients are empty", () => {
    const a = zeros([0, 3]).setRequiresGrad();
    const b = tensor([1, 2, 3]).setRequiresGrad();
    const y = add(a, b);
    assert.deepEqual(y.shape, [0, 3]);
    sum(y).backward();
    assert.deepEqual(a.grad!.shape, [0, 3]);
    assertClose(b.grad!, [0, 0, 0]);
    assert.deepEqual(exp(zeros([2, 0])).shape, [2, 0]);
  });
  test("a broadcast gradient sums over broadcast axes (several broadcast patterns)", () => {
    const cases: Array<[number[], number[]]> = [[[2, 3, 4], [1, 3, 1]], [[3, 1], [1, 4]], [[4], [2, 1, 4]], [[2, 1, 3], [2, 4, 1]]];
    for (const [sa, sb] of cases) {
      const x = tensor(Float32Array.from({ length: sa.reduce((p, d) => p * d, 1) }, (_, i) => Math.sin(i + 1)), { shape: sa });
      const y = tensor(Float32Array.from({ length: sb.reduce((p, d) => p * d, 1) }, (_, i) => 1.5 + Math.cos(i)), { shape: sb });
      checkGradients((p, q) => div(mul(p, q), add(q, 2)), [x, y]);
    }
  });
  test("pow: gradient wrt a tensor exponent and at x = 0", () => {
    const x = tensor([0, 1, 2]).setRequiresGrad();
    sum(pow(x, 2)).backward();
    assertClose(x.grad!, [0, 2, 4]);
  });
  test("where: gradient goes to the chosen branch only", () => {
    const a = tensor([1, 2, 3]).setRequiresGrad();
    const b = tensor([4, 5, 6]).setRequiresGrad();
    sum(where(tensor([1, 0, 1]), a, b)).backward();
    assertClose(a.grad!, [1, 0, 1]);
    assertClose(b.grad!, [0, 1, 0]);
  });
  test("clear errors: incompatible broadcast -> ShapeError, int input -> DTypeError", () => {
    assert.throws(() => add(zeros([2, 3]), zeros([4])), (e) => e instanceof ShapeError && /\[2, 3\] and \[4\]/.test(e.message));
    assert.throws(() => exp(tensor([1, 2], { dtype: "int32" })), DTypeError);
    assert.throws(() => where(tensor([1, 0]), zeros([3]), zeros([3])), ShapeError);
  });
});

describe("elementwise ops do not record under noGrad and keep inputs intact", () => {
  test("inputs unchanged", () => {
    const a = tensor([1, 2, 3]);
    const before = a.toFlatArray();
    add(a, a);
    exp(a);
    clamp(a, 0, 1);
    assert.deepEqual(a.toFlatArray(), before);
  });
});
