/** Tests of the test helpers themselves: a checker that cannot fail proves nothing. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Tensor, getBackend, matmul, mul, softmax, tensor } from "../../src/tensor/index.js";
import { assertClose } from "./assert.js";
import { forEachBackend } from "./backends.js";
import { checkGradients, gradientMismatches } from "./gradcheck.js";

/** x^2 with a gradient rule of our choosing. */
function square(rule: (x: Tensor, g: Tensor) => Tensor) {
  return (x: Tensor) => {
    const d = x.f32();
    const out = new Tensor(d.map((v) => v * v), x.shape);
    if (x.requiresGrad) out.setGradFn({ op: "square", inputs: [x], backward: (g) => [rule(x, g)] });
    return out;
  };
}

/** softmax with a gradient rule that forgets the -sum(g * y) term. */
function badSoftmax(x: Tensor): Tensor {
  const y = softmax(x.detach());
  if (x.requiresGrad) y.setGradFn({ op: "badSoftmax", inputs: [x], backward: (g) => [mul(g, y)] });
  return y;
}

/** matmul whose gradient for `a` forgets to transpose b. */
function badMatmul(a: Tensor, b: Tensor): Tensor {
  const out = matmul(a.detach(), b.detach());
  out.setGradFn({ op: "badMatmul", inputs: [a, b], backward: (g) => [matmul(g, b), matmul(a, g, { transA: true })] });
  return out;
}

describe("checkGradients", () => {
  const x = tensor([[0.3, -1.2, 0.8], [1.5, -0.4, 2.0]]);
  test("passes a correct rule", () => {
    checkGradients(square((x, g) => mul(g, mul(x, 2))), [x]);
    checkGradients((t) => softmax(t), [x]);
    checkGradients((a, b) => matmul(a, b), [x, tensor([[1, 2], [0.5, -1], [3, 0.2]])]);
  });
  test("fails a rule off by 2 %", () => {
    assert.throws(() => checkGradients(square((x, g) => mul(g, mul(x, 2.04))), [x]), /disagree with finite differences/);
  });
  test("fails a sign error and a missing factor", () => {
    assert.ok(gradientMismatches(square((x, g) => mul(g, mul(x, -2))), [x]).length > 0);
    assert.ok(gradientMismatches(square((x, g) => mul(g, x)), [x]).length > 0);
  });
  test("fails a softmax rule missing its -sum(g*y) term", () => {
    assert.ok(gradientMismatches(badSoftmax, [x]).length > 0);
  });
  test("fails a matmul gradient without the transpose", () => {
    const a = tensor([[0.3, -1.2], [1.5, -0.4]]);
    const b = tensor([[1, 2], [0.5, -1]]);
    assert.ok(gradientMismatches(badMatmul, [a, b], { wrt: [0] }).length > 0);
  });
  test("large outputs: the noise floor keeps a correct rule passing", () => {
    const big = tensor([[300, -200, 150], [250, 100, -50]]);
    checkGradients(square((x, g) => mul(g, mul(x, 2))), [big]);
    assert.ok(gradientMismatches(square((x, g) => mul(g, mul(x, 2.04))), [big]).length > 0);
  });
});

describe("assertClose", () => {
  test("NaN equals NaN, infinities equal by sign", () => {
    assertClose(tensor([NaN, Infinity, -Infinity, 1]), [NaN, Infinity, -Infinity, 1 + 1e-7]);
    assert.throws(() => assertClose(tensor([Infinity]), [-Infinity]));
    assert.throws(() => assertClose(tensor([NaN]), [0]));
    assert.throws(() => assertClose(tensor([1]), [NaN]));
  });
  test("reports the worst index", () => {
    assert.throws(
      () => assertClose(tensor([[1, 2], [3, 4]]), [[1, 2.1], [3, 5]], { atol: 1e-3, rtol: 0 }),
      /2 of 4 values differ.*worst at \[1, 1\]: got 4, expected 5/,
    );
  });
  test("checks shapes against a Tensor", () => {
    assert.throws(() => assertClose(tensor([1, 2]), tensor([[1, 2]])), /shape/);
  });
});

describe("forEachBackend", () => {
  const seen: string[] = [];
  forEachBackend("records the active backend", (backend) => {
    test("is active inside", () => {
      assert.equal(getBackend().name, backend);
      seen.push(backend);
    });
  });
  test("ran js at least", () => {
    assert.ok(seen.includes("js"));
  });
});
