import assert from "node:assert/strict";
import { test } from "node:test";
import { ShapeError } from "../../errors.js";
import { Generator, Tensor, linear, matmul, randn, scalar, sum, tensor, zeros } from "../index.js";
import { assertClose } from "../../../test/support/assert.js";
import { forEachBackend } from "../../../test/support/backends.js";
import { checkGradients } from "../../../test/support/gradcheck.js";
import { runFixtureFamily } from "../../../test/support/fixtures.js";

runFixtureFamily("matmul", {
  matmul: ([a, b], p) => matmul(a, b, { transA: p.transA, transB: p.transB }),
  linear: ([x, w, b]) => linear(x, w, b),
});

/** float64 reference: C[b] = op(A[b]) @ op(B[b]) with 0-strides for broadcast operands. */
function reference(a: Tensor, b: Tensor, batch: number, m: number, n: number, k: number, transA: boolean, transB: boolean): Float64Array {
  const ad = a.f32();
  const bd = b.f32();
  const sa = a.size === m * k ? 0 : m * k;
  const sb = b.size === k * n ? 0 : k * n;
  const out = new Float64Array(batch * m * n);
  for (let t = 0; t < batch; t++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let kk = 0; kk < k; kk++) {
          const av = ad[t * sa + (transA ? kk * m + i : i * k + kk)];
          const bv = bd[t * sb + (transB ? j * k + kk : kk * n + j)];
          s += av * bv;
        }
        out[(t * m + i) * n + j] = s;
      }
    }
  }
  return out;
}

forEachBackend("matmul at kernel-sized shapes (edge tiles, threads)", () => {
  const g = new Generator(11);
  // Odd sizes exercise partial micro-kernel tiles; batch 3 with a broadcast B the 0-stride path.
  const shapes: Array<[number, number, number, number, boolean]> = [
    [1, 67, 33, 45, false], [3, 13, 29, 70, false], [3, 50, 17, 31, true], [1, 1, 65, 130, false], [2, 7, 1, 9, false],
  ];
  for (const [batch, m, n, k, broadcastB] of shapes) {
    for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      test(`[${batch}] ${m}x${k} @ ${k}x${n}${broadcastB ? " (B broadcast)" : ""} transA=${transA} transB=${transB}`, () => {
        const a = randn([batch, ...(transA ? [k, m] : [m, k])], { generator: g });
        const b = randn(broadcastB ? (transB ? [n, k] : [k, n]) : [batch, ...(transB ? [n, k] : [k, n])], { generator: g });
        const out = matmul(a, b, { transA, transB });
        assert.deepEqual(out.shape, [batch, m, n]);
        assertClose(out, reference(a, b, batch, m, n, k, transA, transB), { atol: 1e-4, rtol: 1e-4 });
      });
    }
  }
  test("linear at kernel size with bias; a changed weight (markChanged) is not served from a stale cache", () => {
    const x = randn([50, 96], { generator: g });
    const w = randn([70, 96], { generator: g });
    const b = randn([70], { generator: g });
    const check = () => {
      const ref = reference(x, w, 1, 50, 70, 96, false, true);
      for (let i = 0; i < 50; i++) for (let j = 0; j < 70; j++) ref[i * 70 + j] += b.data[j] as number;
      assertClose(linear(x, w, b), ref, { atol: 1e-4, rtol: 1e-4 });
    };
    check();
    check();
    (w.data as Float32Array).forEach((v, i, d) => (d[i] = v * -0.5 + 0.1));
    w.markChanged();
    check();
  });
});

forEachBackend("matmul edge cases", () => {
  test("k = 0 gives zeros; m = 0 or n = 0 give empty results", () => {
    assertClose(matmul(zeros([3, 0]), zeros([0, 4])), new Float32Array(12));
    assert.deepEqual(matmul(zeros([3, 0]), zeros([0, 4])).shape, [3, 4]);
    assert.deepEqual(matmul(zeros([0, 5]), zeros([5, 4])).shape, [0, 4]);
    assert.deepEqual(matmul(zeros([2, 5]), zeros([5, 0])).shape, [2, 0]);
    assertClose(linear(zeros([2, 0]), zeros([3, 0]), tensor([1, 2, 3])), [[1, 2, 3], [1, 2, 3]]);
  });
  test("k = 0 gradients are zeros of the right shapes", () => {
    const a = zeros([3, 0]).setRequiresGrad();
    const b = zeros([0, 4]).setRequiresGrad();
    sum(matmul(a, b)).backward();
    assert.deepEqual(a.grad!.shape, [3, 0]);
    assert.deepEqual(b.grad!.shape, [0, 4]);
  });
  test("NaN and inf propagate: a NaN in A or B, and 0 * inf, give NaN (IEEE, as BLAS and torch)", () => {
    assertClose(matmul(tensor([[1, NaN], [1, 2]]), tensor([[1, 1], [1, 1]])), [[NaN, NaN], [3, 3]]);
    // A zero in A must not skip a NaN/inf in B.
    assertClose(matmul(tensor([[0, 1], [1, 1]]), tensor([[NaN, 1], [2, 3]])), [[NaN, 3], [NaN, 4]]);
    assertClose(matmul(tensor([[0, 1]]), tensor([[Infinity], [1]])), [[NaN]]);
    assertClose(linear(tensor([[0, 1]]), tensor([[NaN, 1]])), [[NaN]]);
    const big = randn([20, 40], { generator: new Generator(3) });
    (big.data as Float32Array)[5 * 40 + 7] = NaN;
    const y = matmul(big, randn([40, 30], { generator: new Generator(4) }));
    for (let i = 0; i < 20; i++) for (let j = 0; j < 30; j++) assert.equal(Number.isNaN(y.at(i, j)), i === 5, `[${i}, ${j}]`);
  });
  test("overflow: products beyond float32 range are inf", () => {
    assertClose(matmul(tensor([[1e30, 1e30]]), tensor([[1e30], [1e30]])), [[Infinity]]);
  });
  test("1-d operands: vector-matrix, matrix-vector, dot (0-d result)", () => {
    const dot = matmul(tensor([1, 2, 3]), tensor([4, 5, 6]));
    assert.deepEqual(dot.shape, []);
    assert.equal(dot.item(), 32);
    checkGradients((a, b) => matmul(a, b), [tensor([1, 2, 3]), tensor([[1, 0.5], [2, -1], [0.3, 4]])]);
  });
  test("gradients by finite differences with broadcast batches and transposes", () => {
    const g = new Generator(5);
    checkGradients((a, b) => matmul(a, b, { transA: true }), [randn([2, 1, 4, 3], { generator: g }), randn([3, 4, 2], { generator: g })]);
    checkGradients((x, w, b) => linear(x, w, b), [randn([2, 2, 3], { generator: g }), randn([4, 3], { generator: g }), randn([4], { generator: g })]);
  });
  test("clear errors", () => {
    assert.throws(() => matmul(zeros([2, 3]), zeros([4, 5])), (e) => e instanceof ShapeError && /3 vs 4/.test(e.message));
    assert.throws(() => matmul(zeros([2, 3]), zeros([4, 3]), { transA: true }), ShapeError);
    assert.throws(() => matmul(scalar(1), zeros([1])), ShapeError);
    assert.throws(() => matmul(zeros([2, 2, 3]), zeros([3, 3, 4])), ShapeError);
    assert.throws(() => linear(zeros([2, 3]), zeros([4, 5])), ShapeError);
    assert.throws(() => linear(zeros([2, 3]), zeros([4, 3]), zeros([3])), ShapeError);
    assert.throws(() => linear(zeros([2, 3]), zeros([12])), ShapeError);
  });
});
