/** The autograd engine: accumulation, noGrad, detach, reuse, errors, retainGrad. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { AutogradError, DTypeError, ShapeError } from "../errors.js";
import {
  Generator, type Tensor, add, enableGrad, exp, isGradEnabled, layerNorm, linear, mul, noGrad, randn, scalar, silu, sum,
  tanh, tensor, zeros,
} from "./index.js";
import { assertClose } from "../../test/support/assert.js";
import { checkGradients } from "../../test/support/gradcheck.js";

describe("autograd engine", () => {
  test("two backward() calls accumulate into .grad", () => {
    const x = tensor([1, 2, 3]).setRequiresGrad();
    sum(mul(x, x)).backward();
    sum(mul(x, 3)).backward();
    assertClose(x.grad!, [2 + 3, 4 + 3, 6 + 3]);
  });
  test("backward twice through the same graph accumulates too", () => {
    const x = tensor([1, 2]).setRequiresGrad();
    const y = sum(exp(x));
    y.backward();
    y.backward();
    assertClose(x.grad!, [2 * Math.E, 2 * Math.E ** 2], { rtol: 1e-6 });
  });
  test("noGrad records nothing; enableGrad records inside it; the flag is restored after a throw", () => {
    const x = tensor([1, 2]).setRequiresGrad();
    const y = noGrad(() => mul(x, 2));
    assert.equal(y.gradFn, null);
    assert.equal(y.requiresGrad, false);
    assert.throws(() => sum(y).backward(), AutogradError);
    const z = noGrad(() => enableGrad(() => mul(x, 2)));
    assert.notEqual(z.gradFn, null);
    assert.throws(() => noGrad(() => { throw new Error("boom"); }));
    assert.equal(isGradEnabled(), true);
  });
  test("detach stops gradients (and shares storage)", () => {
    const x = tensor([1, 2]).setRequiresGrad();
    const d = x.detach();
    assert.equal(d.requiresGrad, false);
    assert.equal(d.data, x.data);
    const y = sum(add(mul(x, 2), mul(d, 100)));
    y.backward();
    assertClose(x.grad!, [2, 2]);
  });
  test("a tensor used twice gets the sum of both gradients", () => {
    const x = tensor([1.5, -2]).setRequiresGrad();
    sum(add(x, x)).backward();
    assertClose(x.grad!, [2, 2]);
    x.grad = null;
    sum(mul(x, x)).backward();
    assertClose(x.grad!, [3, -4]);
    x.grad = null;
    // A diamond: y = tanh(x), z = y * y + y -> dz/dx = (2y + 1)(1 - y^2)
    const y = tanh(x);
    sum(add(mul(y, y), y)).backward();
    const t = [Math.tanh(1.5), Math.tanh(-2)];
    assertClose(x.grad!, t.map((v) => (2 * v + 1) * (1 - v * v)), { rtol: 1e-5 });
  });
  test("backward on a non-scalar without a gradient throws AutogradError; with one it works", () => {
    const x = tensor([1, 2]).setRequiresGrad();
    const y = mul(x, 3);
    assert.throws(() => y.backward(), (e) => e instanceof AutogradError && /non-scalar/.test(e.message));
    y.backward(tensor([1, 10]));
    assertClose(x.grad!, [3, 30]);
    assert.throws(() => y.backward(tensor([1, 2, 3])), ShapeError);
  });
  test("backward on a tensor that needs no grad throws AutogradError", () => {
    assert.throws(() => sum(tensor([1, 2])).backward(), AutogradError);
  });
  test("retainGrad keeps an intermediate gradient; others are dropped", () => {
    const x = tensor([1, 2]).setRequiresGrad();
    const h = mul(x, 2).retainGrad();
    const k = mul(h, 1);
    sum(mul(h, k)).backward();
    assertClose(h.grad!, [4, 8]);
    assert.equal(k.grad, null);
    assertClose(x.grad!, [8, 16]);
  });
  test("a scalar leaf's backward seeds 1; 0-d gradients are 0-d", () => {
    const s = scalar(4).setRequiresGrad();
    s.backward();
    assert.deepEqual(s.grad!.shape, []);
    assert.equal(s.grad!.item(), 1);
  });
  test("leaves get their own gradient storage (an in-place edit of one .grad leaves the others alone)", () => {
    const a = tensor([1, 2]).setRequiresGrad();
    const b = tensor([3, 4]).setRequiresGrad();
    const g = tensor([1, 1]);
    add(a, b).backward(g);
    assert.notEqual(a.grad!.data, b.grad!.data);
    assert.notEqual(a.grad!.data, g.data);
    (a.grad!.data as Float32Array).fill(0); // e.g. an optimizer zeroing or clipping in place
    assertClose(b.grad!, [1, 1]);
    assertClose(g, [1, 1]);
  });
  test("fresh gradients of fused rules are summed in place and become .grad without a copy, values unchanged", () => {
    const g = new Generator(5);
    const x = randn([3, 4], { generator: g });
    const w = randn([4, 4], { generator: g });
    const weights = randn([3, 4], { generator: g });
    // x reaches the loss through add (its gradient shared, not fresh), silu, linear and layerNorm.
    const f = (a: Tensor, b: Tensor) => mul(add(add(a, silu(a)), add(linear(a, b), layerNorm(a))), weights);
    checkGradients(f, [x, w], { wrt: [0, 1] });
    const [xl, wl] = [x.detach().setRequiresGrad(), w.detach().setRequiresGrad()];
    sum(f(xl, wl)).backward();
    const first = xl.grad!.f32().slice();
    (wl.grad!.data as Float32Array).fill(0); // an in-place edit of one .grad leaves the others alone
    assertClose(xl.grad!, first);
    sum(f(xl, wl)).backward(); // a second backward adds
    assertClose(xl.grad!, first.map((v) => 2 * v), { atol: 1e-5, rtol: 1e-5 });
  });
  test("storage recycled within backward (equal-sized layers) leaves every gradient exact", () => {
    const g = new Generator(6);
    const ws = [0, 1, 2].map(() => randn([4, 4], { generator: g }));
    const x = randn([3, 4], { generator: g });
    // Each layer's input gradient is consumed (and its storage recycled) before the next is made.
    const f = (a: Tensor, w0: Tensor, w1: Tensor, w2: Tensor) => {
      let h = a;
      for (const w of [w0, w1, w2]) h = add(h, layerNorm(silu(linear(h, w))));
      return h;
    };
    checkGradients(f, [x, ...ws], { wrt: [0, 1, 2, 3] });
  });
  test("a deep chain (20 000 ops) does not overflow the stack", () => {
    const x = tensor([1]).setRequiresGrad();
    let y = x;
    for (let i = 0; i < 20000; i++) y = add(y, 0);
    sum(y).backward();
    assertClose(x.grad!, [1]);
  });
  test("only float32 tensors can require grad", () => {
    assert.throws(() => tensor([1], { dtype: "int32" }).setRequiresGrad(), DTypeError);
    assert.equal(zeros([2]).requiresGrad, false);
  });
});
