/**
 * Finite-difference gradient checking for float32 ops.
 *
 * float32 is coarse (2^-24 relative), so: the loss is L = sum(out * W) with fixed random
 * weights W (a plain sum would hide errors in rules whose gradient sums to zero, softmax's for
 * one) accumulated in float64 from the float32 outputs; central differences use the step that
 * float32 actually took, (x+ - x-), not 2 eps; and the comparison allows
 * atol + rtol * |numeric| plus a noise floor from the rounding of the outputs. With eps = 1e-2
 * the truncation error is ~eps^2 f''' / 6, far below rtol = 1e-2 for smooth ops, while a rule
 * off by 2 % (or a sign, a transpose, a missing term) fails: test/support/gradcheck.test.ts.
 */
import assert from "node:assert/strict";
import { Generator, Tensor, mul, noGrad, sum } from "../../src/tensor/index.js";

export interface GradCheckOptions {
  /** Finite-difference step (1e-2 default; inputs must be > eps away from kinks). */
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Seed of the fixed random weights W. */
  seed?: number;
  /** Which inputs to check (default: those with requiresGrad, or every float32 input if none has it). */
  wrt?: number[];
  /** Output weights to use instead of random ones (shape of the output). */
  weights?: Float32Array;
}

export interface GradMismatch {
  input: number;
  index: number;
  analytic: number;
  numeric: number;
}

function freshLeaves(inputs: readonly Tensor[], wrt: readonly number[]): Tensor[] {
  return inputs.map((t, i) =>
    wrt.includes(i) ? new Tensor((t.data as Float32Array).slice(), t.shape, { requiresGrad: true }) : t.detach(),
  );
}

function lossValue(out: Tensor, w: Float32Array): { value: number; magnitude: number } {
  const o = out.f32("checkGradients");
  let value = 0;
  let magnitude = 0;
  for (let i = 0; i < o.length; i++) {
    value += o[i] * w[i];
    magnitude += Math.abs(o[i] * w[i]);
  }
  return { value, magnitude };
}

/** Mismatches between autograd and central differences (empty when the gradients agree). */
export function gradientMismatches(
  fn: (...inputs: Tensor[]) => Tensor,
  inputs: readonly Tensor[],
  options: GradCheckOptions = {},
): GradMismatch[] {
  const eps = options.eps ?? 1e-2;
  const atol = options.atol ?? 1e-3;
  const rtol = options.rtol ?? 1e-2;
  let wrt = options.wrt ?? inputs.flatMap((t, i) => (t.requiresGrad ? [i] : []));
  if (wrt.length === 0) wrt = inputs.flatMap((t, i) => (t.dtype === "float32" ? [i] : []));

  // Analytic: autograd of sum(out * W).
  const leaves = freshLeaves(inputs, wrt);
  const out = fn(...leaves);
  const gen = new Generator(options.seed ?? 7);
  const w = options.weights ?? Float32Array.from({ length: out.size }, () => gen.normal());
  assert.equal(w.length, out.size, "checkGradients: weights must match the output size");
  const loss = sum(mul(out, new Tensor(w, out.shape)));
  loss.backward();

  const mismatches: GradMismatch[] = [];
  for (const i of wrt) {
    const grad = leaves[i].grad;
    assert.ok(grad, `checkGradients: input ${i} received no gradient`);
    assert.deepEqual([...grad.shape], [...inputs[i].shape], `checkGradients: gradient ${i} has the wrong shape`);
    const g = grad.f32();
    const base = (inputs[i].data as Float32Array).slice();
    const probe = inputs.map((t) => t.detach());
    const x = new Float32Array(base);
    probe[i] = new Tensor(x, inputs[i].shape);
    for (let j = 0; j < x.length; j++) {
      const plus = Math.fround(base[j] + eps);
      const minus = Math.fround(base[j] - eps);
      // markChanged after each in-place write: backends may cache packed weights by version.
      x[j] = plus;
      probe[i].markChanged();
      const lp = noGrad(() => lossValue(fn(...probe), w));
      x[j] = minus;
      probe[i].markChanged();
      const lm = noGrad(() => lossValue(fn(...probe), w));
      x[j] = base[j];
      probe[i].markChanged();
      const h = plus - minus;
      const numeric = (lp.value - lm.value) / h;
      // Each float32 output carries a few ulps of rounding; differencing two losses turns that
      // into an absolute error of about 2^-24 * sum|out * w| * few / h.
      const noise = (8 * 2 ** -24 * Math.max(lp.magnitude, lm.magnitude)) / h;
      const analytic = g[j];
      const ok =
        (Number.isNaN(analytic) && Number.isNaN(numeric)) ||
        Math.abs(analytic - numeric) <= atol + noise + rtol * Math.abs(numeric);
      if (!ok) mismatches.push({ input: i, index: j, analytic, numeric });
    }
  }
  return mismatches;
}

/** Asserts that autograd gradients match central differences; the message names the worst element. */
export function checkGradients(
  fn: (...inputs: Tensor[]) => Tensor,
  inputs: readonly Tensor[],
  options: GradCheckOptions = {},
  label = "",
): void {
  const bad = gradientMismatches(fn, inputs, options);
  if (bad.length === 0) return;
  const worst = bad.reduce((p, m) => (Math.abs(m.analytic - m.numeric) > Math.abs(p.analytic - p.numeric) ? m : p));
  assert.fail(
    `${label ? label + ": " : ""}${bad.length} gradient element(s) disagree with finite differences; worst: input ${worst.input}, ` +
      `flat index ${worst.index}: autograd ${worst.analytic}, numeric ${worst.numeric}`,
  );
}
