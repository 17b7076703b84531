/**
 * The PyTorch reference cases (test/fixtures/ops.safetensors, made by
 * scripts/make_op_fixtures.py) and a runner that checks each case on every backend: forward
 * output vs torch (float32), gradients of sum(out * w) vs torch autograd (float64), and
 * gradients by finite differences.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { Tensor, mul, noGrad, sum } from "../../src/tensor/index.js";
import { type Tolerance, assertClose } from "./assert.js";
import { forEachBackend } from "./backends.js";
import { type GradCheckOptions, checkGradients } from "./gradcheck.js";
import { type RawTensor, readSafetensors } from "./safetensors.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Params = Record<string, any>;
export type OpFn = (inputs: Tensor[], params: Params) => Tensor;

export interface FixtureCase {
  name: string;
  family: string;
  op: string;
  params: Params;
  inputs: Array<{ key: string; grad: boolean }>;
  out: string;
  w?: string;
  grads: Record<string, string>;
}

const FIXTURE = fileURLToPath(new URL("../fixtures/ops.safetensors", import.meta.url));
let loaded: { tensors: Map<string, RawTensor>; cases: FixtureCase[] } | null = null;

function load() {
  if (!loaded) {
    const { tensors, metadata } = readSafetensors(FIXTURE);
    loaded = { tensors, cases: JSON.parse(metadata.index) as FixtureCase[] };
  }
  return loaded;
}

export function fixtureCases(family: string): FixtureCase[] {
  return load().cases.filter((c) => c.family === family);
}

export function raw(key: string): RawTensor {
  const t = load().tensors.get(key);
  if (!t) throw new Error(`fixture has no tensor ${key}`);
  return t;
}

/** A fixture tensor as a Tensor (F64 narrowed to float32). */
export function fixtureTensor(key: string): Tensor {
  const r = raw(key);
  const data = r.data instanceof Float64Array ? Float32Array.from(r.data) : r.data.slice();
  return new Tensor(data as Float32Array, r.shape);
}

export function caseInputs(c: FixtureCase): Tensor[] {
  return c.inputs.map((i) => fixtureTensor(i.key));
}

export interface FamilyOptions {
  forward?: Tolerance;
  grad?: Tolerance;
  fd?: GradCheckOptions;
  /** Per-op or per-case-name overrides. */
  overrides?: Record<string, { forward?: Tolerance; grad?: Tolerance; fd?: GradCheckOptions }>;
}

/** Forward + torch-gradient + finite-difference checks for every fixture case of `family`. */
export function runFixtureFamily(family: string, ops: Record<string, OpFn>, options: FamilyOptions = {}): void {
  const cases = fixtureCases(family);
  test(`${family}: the fixture has cases for every op in the table`, () => {
    const missing = Object.keys(ops).filter((op) => !cases.some((c) => c.op === op));
    assert.deepEqual(missing, [], "ops without a PyTorch case");
    const unknown = cases.filter((c) => !ops[c.op]).map((c) => c.op);
    assert.deepEqual(unknown, [], "fixture ops without an implementation in the table");
  });
  forEachBackend(`${family} vs PyTorch`, () => {
    for (const c of cases) {
      const o = { ...options.overrides?.[c.op], ...options.overrides?.[c.name] };
      test(`${c.op}: ${c.name}`, () => {
        const fn = ops[c.op];
        const xs = caseInputs(c);
        const expected = raw(c.out);
        // Forward, without recording.
        const out = noGrad(() => fn(xs, c.params));
        assert.deepEqual([...out.shape], expected.shape, `forward shape`);
        if (expected.dtype === "I64") {
          assert.deepEqual(out.toFlatArray(), Array.from(expected.data, Number), "forward indices");
        } else {
          assertClose(out, expected.data as Float32Array, { atol: 1e-5, rtol: 1e-4, ...options.forward, ...o.forward }, "forward");
        }
        const wrt = c.inputs.flatMap((inp, i) => (inp.grad ? [i] : []));
        if (wrt.length === 0 || !c.w) return;
        // Gradients vs torch autograd (float64 reference).
        const leaves = xs.map((x, i) => (wrt.includes(i) ? new Tensor((x.data as Float32Array).slice(), x.shape, { requiresGrad: true }) : x));
        const w = fixtureTensor(c.w);
        sum(mul(fn(leaves, c.params), w)).backward();
        for (const i of wrt) {
          const g = leaves[i].grad;
          assert.ok(g, `input ${i} got no gradient`);
          const ref = raw(c.grads[String(i)]);
          assert.deepEqual([...g.shape], ref.shape, `grad ${i} shape`);
          assertClose(g, ref.data as Float64Array, { atol: 1e-4, rtol: 1e-4, ...options.grad, ...o.grad }, `grad of input ${i} vs torch`);
        }
        // Gradients by finite differences, with the same weights.
        checkGradients((...ins) => fn(ins, c.params), xs, { wrt, weights: w.f32(), ...options.fd, ...o.fd }, "finite differences");
      });
    }
  });
}
