/** Numeric assertions for tensors: NaN equals NaN, infinities equal when their signs match. */
import assert from "node:assert/strict";
import { type NestedArray, Tensor } from "../../src/tensor/index.js";

export interface Tolerance {
  atol?: number;
  rtol?: number;
}

export type Expected = Tensor | NestedArray | ArrayLike<number> | ArrayLike<bigint>;

function flat(x: Expected): { values: Float64Array; shape: number[] | null } {
  if (x instanceof Tensor) return { values: Float64Array.from(x.data as ArrayLike<number | bigint>, Number), shape: [...x.shape] };
  if (typeof x === "number") return { values: Float64Array.of(x), shape: null };
  if (ArrayBuffer.isView(x)) return { values: Float64Array.from(x as ArrayLike<number | bigint>, Number), shape: null };
  const out: number[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else out.push(Number(v));
  };
  walk(x);
  return { values: Float64Array.from(out), shape: null };
}

function unravel(i: number, shape: readonly number[]): string {
  const idx: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(i % shape[d]);
    i = Math.floor(i / shape[d]);
  }
  return `[${idx.join(", ")}]`;
}

/** Elementwise |a - e| <= atol + rtol * |e|, for same-sized tensors (shape checked if `expected` is a Tensor). */
export function closeness(actual: Tensor | ArrayLike<number>, expected: Expected, tol: Tolerance = {}) {
  const atol = tol.atol ?? 1e-5;
  const rtol = tol.rtol ?? 1e-4;
  const a = flat(actual as Expected);
  const e = flat(expected);
  let worst = -1;
  let worstExcess = 0;
  let bad = 0;
  for (let i = 0; i < a.values.length; i++) {
    const x = a.values[i];
    const y = e.values[i];
    if (Number.isNaN(x) || Number.isNaN(y)) {
      if (Number.isNaN(x) && Number.isNaN(y)) continue;
    } else if (!Number.isFinite(x) || !Number.isFinite(y)) {
      if (x === y) continue;
    } else {
      const excess = Math.abs(x - y) - (atol + rtol * Math.abs(y));
      if (excess <= 0) continue;
      bad++;
      if (worst < 0 || excess > worstExcess) [worst, worstExcess] = [i, excess];
      continue;
    }
    bad++;
    // Non-finite mismatches are always the worst kind.
    if (worstExcess !== Infinity) [worst, worstExcess] = [i, Infinity];
  }
  return { ok: bad === 0 && a.values.length === e.values.length, bad, worst, a, e, atol, rtol };
}

export function assertClose(actual: Tensor | Float32Array, expected: Expected, tol: Tolerance = {}, label = ""): void {
  const pre = label ? `${label}: ` : "";
  const shape = actual instanceof Tensor ? actual.shape : [actual.length];
  if (expected instanceof Tensor) {
    assert.deepEqual([...shape], [...expected.shape], `${pre}shape [${shape}] != expected [${expected.shape}]`);
  }
  const r = closeness(actual, expected, tol);
  if (r.a.values.length !== r.e.values.length) {
    assert.fail(`${pre}${r.a.values.length} values, expected ${r.e.values.length}`);
  }
  if (r.ok) return;
  const i = r.worst;
  assert.fail(
    `${pre}${r.bad} of ${r.a.values.length} values differ (atol ${r.atol}, rtol ${r.rtol}); worst at ` +
      `${unravel(i, shape)}: got ${r.a.values[i]}, expected ${r.e.values[i]} (|diff| ${Math.abs(r.a.values[i] - r.e.values[i])})`,
  );
}
