import assert from "node:assert/strict";
import { test } from "node:test";
import { ArgumentError, ShapeError } from "../../errors.js";
import { crossEntropy, tensor, zeros } from "../index.js";
import { assertClose } from "../../../test/support/assert.js";
import { forEachBackend } from "../../../test/support/backends.js";
import { checkGradients } from "../../../test/support/gradcheck.js";
import { runFixtureFamily } from "../../../test/support/fixtures.js";

runFixtureFamily("loss", {
  crossEntropy: ([x, t], p) => crossEntropy(x, t, { ignoreIndex: p.ignoreIndex, labelSmoothing: p.labelSmoothing, reduction: p.reduction }),
});

const ids = (v: number[]) => tensor(v, { dtype: "int32" });

forEachBackend("crossEntropy edge cases", () => {
  test("huge logits stay finite: [1000, -1000] -> 0 for the right class, 2000 for the wrong one", () => {
    assertClose(crossEntropy(tensor([[1000, -1000], [1000, -1000]]), ids([0, 1]), { reduction: "none" }), [0, 2000]);
    checkGradients((x) => crossEntropy(x, ids([1])), [tensor([[30, -30, 5]])]);
  });
  test("every target ignored: mean is NaN (0/0, as torch), sum is 0, gradients are 0", () => {
    const x = tensor([[1, 2], [3, 4]]).setRequiresGrad();
    assertClose(crossEntropy(x, ids([-100, -100])), [NaN]);
    const s = crossEntropy(x, ids([-100, -100]), { reduction: "sum" });
    assertClose(s, [0]);
    s.backward();
    assertClose(x.grad!, [[0, 0], [0, 0]]);
  });
  test("NaN logits give a NaN loss for their row", () => {
    assertClose(crossEntropy(tensor([[NaN, 1], [1, 2]]), ids([0, 1]), { reduction: "none" }), [NaN, Math.log(1 + Math.exp(-1))]);
  });
  test("int64 targets; empty batch gives NaN mean and an empty 'none'", () => {
    assertClose(crossEntropy(tensor([[0, 0]]), tensor([1], { dtype: "int64" })), [Math.LN2]);
    assert.deepEqual(crossEntropy(zeros([0, 3]), ids([]), { reduction: "none" }).shape, [0]);
  });
  test("clear errors", () => {
    assert.throws(() => crossEntropy(zeros([2, 3]), ids([0, 3])), (e) => e instanceof ArgumentError && /target 3/.test(e.message));
    assert.throws(() => crossEntropy(zeros([2, 3]), tensor([0, 1])), ArgumentError);
    assert.throws(() => crossEntropy(zeros([2, 3]), ids([0, 1, 2])), ShapeError);
    assert.throws(() => crossEntropy(zeros([2, 3]), ids([0, 1]), { labelSmoothing: 1.5 }), ArgumentError);
  });
});
