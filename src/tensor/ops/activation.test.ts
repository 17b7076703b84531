import assert from "node:assert/strict";
import { test } from "node:test";
import { DTypeError } from "../../errors.js";
import { Generator, type Tensor, gelu, geluTanh, quickGelu, randn, scalar, silu, tensor, zeros } from "../index.js";
import { erf } from "../../backend/numerics/index.js";
import { assertClose } from "../../../test/support/assert.js";
import { forEachBackend } from "../../../test/support/backends.js";
import { checkGradients } from "../../../test/support/gradcheck.js";
import { runFixtureFamily } from "../../../test/support/fixtures.js";

const sig = (v: number) => 1 / (1 + Math.exp(-v));
/** float64 references. */
const REF: Record<string, [(t: Tensor) => Tensor, (v: number) => number]> = {
  gelu: [gelu, (v) => 0.5 * v * (1 + erf(v / Math.SQRT2))],
  geluTanh: [geluTanh, (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)))],
  quickGelu: [quickGelu, (v) => v * sig(1.702 * v)],
  silu: [silu, (v) => v * sig(v)],
};

runFixtureFamily("activation", Object.fromEntries(Object.entries(REF).map(([k, [f]]) => [k, ([x]: Tensor[]) => f(x)])));

forEachBackend("activation edge cases", () => {
  for (const [name, [fn, ref]] of Object.entries(REF)) {
    test(`${name}: 1003 values over [-12, 12] (vector body and tail) vs float64`, () => {
      const x = randn([1003], { std: 4, generator: new Generator(9) });
      const xd = x.f32();
      xd[0] = -12;
      xd[1] = 12;
      xd[2] = 0;
      assertClose(fn(x), Float64Array.from(xd, ref), { atol: 2e-6, rtol: 1e-5 });
    });
    test(`${name}: saturation, NaN, 0-d and empty`, () => {
      const y = fn(tensor([-100, 100, NaN, 0]));
      assertClose(y, [0, 100, NaN, 0], { atol: 1e-30 });
      assert.deepEqual(fn(scalar(1)).shape, []);
      assertClose(fn(scalar(1)), [ref(1)], { rtol: 1e-6 });
      assert.deepEqual(fn(zeros([0, 4])).shape, [0, 4]);
      assert.throws(() => fn(tensor([1], { dtype: "int32" })), DTypeError);
    });
    test(`${name}: gradient by finite differences over a wide range`, () => {
      checkGradients(fn, [tensor([-6, -3, -1.5, -0.5, 0.05, 0.7, 2, 4, 7])]);
    });
  }
});
