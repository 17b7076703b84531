import assert from "node:assert/strict";
import { test } from "node:test";
import { ArgumentError, ShapeError } from "../../errors.js";
import { Generator, avgPool2d, conv2d, linear, maxPool2d, permute, randn, sum, tensor, zeros } from "../index.js";
import { assertClose } from "../../../test/support/assert.js";
import { forEachBackend } from "../../../test/support/backends.js";
import { checkGradients } from "../../../test/support/gradcheck.js";
import { runFixtureFamily } from "../../../test/support/fixtures.js";

runFixtureFamily("conv", {
  conv2d: ([x, w, b], p) => conv2d(x, w, b, { stride: p.stride, padding: p.padding, dilation: p.dilation, groups: p.groups }),
  avgPool2d: ([x], p) => avgPool2d(x, p.kernel, { stride: p.stride, padding: p.padding }),
  maxPool2d: ([x], p) => maxPool2d(x, p.kernel, { stride: p.stride, padding: p.padding }),
});

forEachBackend("conv / pool edge cases", () => {
  const g = new Generator(31);
  test("patchify (stride = kernel) equals flattening patches and a linear layer", () => {
    // ViT: [1, 3, 8, 8], 4x4 patches -> 4 tokens of 48 values, projected to 5.
    const x = randn([1, 3, 8, 8], { generator: g });
    const w = randn([5, 3, 4, 4], { generator: g });
    const b = randn([5], { generator: g });
    const viaConv = permute(conv2d(x, w, b, { stride: 4 }).reshape(1, 5, 4), [0, 2, 1]); // [1, 4, 5]
    // [1, 3, 2, 4, 2, 4] -> [1, 2, 2, 3, 4, 4] -> [1, 4, 48]
    const patches = permute(x.reshape(1, 3, 2, 4, 2, 4), [0, 2, 4, 1, 3, 5]).reshape(1, 4, 48);
    assertClose(viaConv, linear(patches, w.reshape(5, 48), b), { atol: 1e-5, rtol: 1e-5 });
  });
  test("a larger conv (GEMM-sized) with gradients by finite differences on a corner", () => {
    const x = randn([1, 4, 9, 9], { generator: g });
    const w = randn([6, 2, 3, 3], { generator: g });
    checkGradients((a, b) => conv2d(a, b, null, { padding: 1, groups: 2, stride: 2 }), [x, w], { wrt: [1] });
  });
  test("NaN in the input reaches exactly the outputs whose window covers it", () => {
    const x = zeros([1, 1, 4, 4]);
    (x.data as Float32Array)[0] = NaN;
    const y = conv2d(x, tensor([[[[1, 1], [1, 1]]]]), null, { stride: 2 });
    assertClose(y, [[[[NaN, 0], [0, 0]]]]);
    assertClose(maxPool2d(x, 2), [[[[NaN, 0], [0, 0]]]]);
    assertClose(avgPool2d(x, 2), [[[[NaN, 0], [0, 0]]]]);
  });
  test("maxPool2d: -inf padding never wins; inf survives; avgPool2d counts padding as zeros", () => {
    const x = tensor([[[[-5, -6], [-7, Infinity]]]]);
    assertClose(maxPool2d(x, 2, { stride: 1, padding: 1 }), [[[[-5, -5, -6], [-5, Infinity, Infinity], [-7, Infinity, Infinity]]]]);
    assertClose(avgPool2d(tensor([[[[4, 4], [4, 4]]]]), 2, { stride: 1, padding: 1 }), [[[[1, 2, 1], [2, 4, 2], [1, 2, 1]]]]);
  });
  test("empty batch gives an empty output and empty gradients", () => {
    const x = zeros([0, 2, 5, 5]).setRequiresGrad();
    const w = randn([3, 2, 3, 3], { generator: g }).setRequiresGrad();
    const y = conv2d(x, w);
    assert.deepEqual(y.shape, [0, 3, 3, 3]);
    sum(y).backward();
    assertClose(w.grad!, new Float32Array(54));
    assert.deepEqual(maxPool2d(zeros([0, 1, 2, 2]), 2).shape, [0, 1, 1, 1]);
  });
  test("clear errors", () => {
    assert.throws(() => conv2d(zeros([1, 3, 5]), zeros([2, 3, 3, 3])), ShapeError);
    assert.throws(() => conv2d(zeros([1, 3, 5, 5]), zeros([2, 2, 3, 3])), (e) => e instanceof ShapeError && /groups=1/.test(e.message));
    assert.throws(() => conv2d(zeros([1, 4, 5, 5]), zeros([3, 2, 3, 3]), null, { groups: 2 }), ShapeError);
    assert.throws(() => conv2d(zeros([1, 3, 2, 2]), zeros([2, 3, 3, 3])), ShapeError);
    assert.throws(() => conv2d(zeros([1, 3, 5, 5]), zeros([2, 3, 3, 3]), zeros([3])), ShapeError);
    assert.throws(() => conv2d(zeros([1, 3, 5, 5]), zeros([2, 3, 3, 3]), null, { stride: 0 }), ArgumentError);
    assert.throws(() => maxPool2d(zeros([1, 1, 4, 4]), 2, { padding: 2 }), ArgumentError);
    assert.throws(() => avgPool2d(zeros([1, 4, 4]), 2), ShapeError);
  });
});
