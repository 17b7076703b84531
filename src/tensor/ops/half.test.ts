import assert from "node:assert/strict";
import { test } from "node:test";
import { type MatmulParams, backendNamed } from "../../backend/index.js";
import { float32ToBf16, float32ToF16 } from "../../io/index.js";
import {
  Generator, HalfTensor, type HalfKind, Tensor, embedding, embeddingHalf, getBackend, linear, linearHalf, mul, randn, sum,
} from "../index.js";
import { assertClose } from "../../../test/support/assert.js";
import { forEachBackend } from "../../../test/support/backends.js";

function half(values: Float32Array, kind: HalfKind, shape: number[]): HalfTensor {
  const bits = new Uint16Array(values.length);
  (kind === "f16" ? float32ToF16 : float32ToBf16)(values, 0, bits);
  return new HalfTensor(bits, kind, shape);
}

const g = new Generator(3);

forEachBackend("16-bit weights", () => {
  for (const kind of ["f16", "bf16"] as const) {
    test(`${kind}: linearHalf equals linear over the decoded weight, bias, NaN and infinity included`, () => {
      const w = randn([7, 5], { generator: g }).f32();
      w[3] = NaN;
      w[11] = Infinity;
      const weight = half(w, kind, [7, 5]);
      const x = randn([2, 3, 5], { generator: g });
      const bias = randn([7], { generator: g });
      const y = linearHalf(x, weight, bias);
      assert.deepEqual(y.shape, [2, 3, 7]);
      assertClose(y, linear(x, weight.toFloat32(), bias), { atol: 1e-6, rtol: 1e-6 });
      assert.ok(Number.isNaN(y.at(0, 0, 0)) && !Number.isFinite(y.at(0, 0, 2)) && Number.isFinite(y.at(0, 0, 1)));
    });

    test(`${kind}: the gradient reaches the input and the bias`, () => {
      const weight = half(randn([4, 6], { generator: g }).f32(), kind, [4, 6]);
      const x = randn([3, 6], { generator: g }).setRequiresGrad();
      const bias = randn([4], { generator: g }).setRequiresGrad();
      // A non-uniform upstream gradient, so a transposed dx would show.
      const up = randn([3, 4], { generator: g });
      sum(mul(linearHalf(x, weight, bias), up)).backward();
      const gx = x.grad!;
      const gb = bias.grad!;
      x.grad = null;
      bias.grad = null;
      sum(mul(linear(x, weight.toFloat32(), bias), up)).backward();
      assertClose(gx, x.grad!, { atol: 1e-6 });
      assertClose(gb, bias.grad!, { atol: 1e-6 });
    });

    test(`${kind}: embeddingHalf picks decoded rows`, () => {
      const table = half(randn([10, 4], { generator: g }).f32(), kind, [10, 4]);
      const ids = new Tensor(Int32Array.of(3, 0, 9, 3), [2, 2]);
      assertClose(embeddingHalf(ids, table), embedding(ids, table.toFloat32()), { atol: 0, rtol: 0 });
    });
  }

  test("the backend's matmulHalfB equals the js gemm over the decoded weight for every layout", () => {
    const kernel = getBackend().matmulHalfB;
    const gemm = backendNamed("js").matmul;
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        for (const strideB0 of [true, false]) {
          const [batch, m, n, k] = [2, 3, 5, 4];
          const a = randn([batch * m * k], { generator: g }).f32();
          const bF32 = randn([batch * k * n], { generator: g }).f32();
          const bBits = new Uint16Array(bF32.length);
          float32ToF16(bF32, 0, bBits);
          const decoded = new HalfTensor(bBits, "f16", [bF32.length]).toFloat32().f32();
          const p: MatmulParams = {
            batch, m, n, k, transA, transB, strideA: m * k, strideB: strideB0 ? 0 : k * n,
            bias: randn([n], { generator: g }).f32(), accumulate: true,
          };
          const start = randn([batch * m * n], { generator: g }).f32();
          const want = start.slice();
          gemm(a, decoded, want, p);
          const got = start.slice();
          kernel(a, bBits, "f16", got, p);
          assertClose(got, want, { atol: 1e-5, rtol: 1e-5 }, `transA ${transA} transB ${transB} strideB ${p.strideB}`);
        }
      }
    }
  });
});

test("HalfTensor checks its shape", () => {
  assert.throws(() => new HalfTensor(new Uint16Array(5), "f16", [2, 3]), { name: "ShapeError" });
});
