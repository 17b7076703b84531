/**
 * Scalar math shared by the js kernels and the elementwise ops: erf (not in Math), stable
 * sigmoid and the GELU forms. One definition, so that an op and its fused kernel agree.
 */

/**
 * erf to double precision: Abramowitz-Stegun 7.1.26 is too coarse (1.5e-7 absolute, poor
 * relative accuracy near 0), so use the Maclaurin series near 0 and the continued fraction
 * of erfc in the tails.
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax < 2) {
    // Maclaurin series: converges fast and without cancellation trouble for |x| < 2.
    const x2 = x * x;
    let term = x;
    let sum = x;
    for (let n = 1; n < 60; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  if (ax >= 6) return x > 0 ? 1 : -1;
  const r = erfcPositive(ax);
  return x > 0 ? 1 - r : r - 1;
}

/** erfc(x) for x >= 2 by a continued fraction (Lentz), accurate to double precision. */
function erfcPositive(x: number): number {
  // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + 1/2/(x + 1/(x + 3/2/(x + 2/(x + ...)))))
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let i = 1; i < 200; i++) {
    const an = i / 2;
    d = x + an * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = x + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

export function sigmoid(x: number): number {
  // Two branches so that exp never overflows.
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

export const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
export const INV_SQRT2 = 1 / Math.SQRT2;

export function geluErf(x: number): number {
  return 0.5 * x * (1 + erf(x * INV_SQRT2));
}

export function geluTanh(x: number): number {
  return 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));
}
