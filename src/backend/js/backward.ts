/**
 * The js reference for the fused backward kernels (Backend.activationBackward,
 * layerNormBackward, rmsNormBackward, softmaxBackward): plain loops, double-precision
 * arithmetic rounded on store. The native backend is tested against these.
 */
import type { ActivationKind, AdamWStepScalars } from "../backend.js";
import { INV_SQRT2, SQRT_2_OVER_PI, erf, sigmoid } from "../numerics/index.js";

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** dx[i] = g[i] * f'(x[i]); one loop per activation so that V8 inlines the formula. */
type BackwardLoop = (x: Float32Array, g: Float32Array, dx: Float32Array) => void;

const ACTIVATION_BACKWARD: Record<ActivationKind, BackwardLoop> = {
  // f'(x) = Phi(x) + x phi(x)
  gelu(x, g, dx) {
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      dx[i] = g[i] * (0.5 * (1 + erf(v * INV_SQRT2)) + v * Math.exp(-0.5 * v * v) * INV_SQRT_2PI);
    }
  },
  // t = tanh(u), u = sqrt(2/pi) (x + 0.044715 x^3): f'(x) = 0.5 (1 + t) + 0.5 x (1 - t^2) u'(x)
  geluTanh(x, g, dx) {
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      const t = Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v));
      dx[i] = g[i] * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * 0.044715 * v * v));
    }
  },
  // s = sigmoid(1.702 x): f'(x) = s + 1.702 x s (1 - s)
  quickGelu(x, g, dx) {
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      const s = sigmoid(1.702 * v);
      dx[i] = g[i] * (s + 1.702 * v * s * (1 - s));
    }
  },
  // s = sigmoid(x): f'(x) = s (1 + x (1 - s))
  silu(x, g, dx) {
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      const s = sigmoid(v);
      dx[i] = g[i] * s * (1 + v * (1 - s));
    }
  },
};

export function activationBackward(kind: ActivationKind, x: Float32Array, gradOut: Float32Array, gradIn: Float32Array): void {
  const loop = ACTIVATION_BACKWARD[kind];
  if (!loop) throw new Error(`activationBackward: unknown activation "${String(kind)}"`);
  loop(x, gradOut, gradIn);
}

export function layerNormBackward(
  x: Float32Array, w: Float32Array | null, mean: Float32Array, rstd: Float32Array, g: Float32Array,
  dx: Float32Array, dw: Float32Array | null, db: Float32Array | null, rows: number, cols: number,
): void {
  dw?.fill(0);
  db?.fill(0);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    const mu = mean[r];
    const rs = rstd[r];
    // dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)), dxhat = g * w
    let sumDxhat = 0;
    let sumDxhatXhat = 0;
    for (let j = 0; j < cols; j++) {
      const xhat = (x[o + j] - mu) * rs;
      const dxhat = g[o + j] * (w ? w[j] : 1);
      sumDxhat += dxhat;
      sumDxhatXhat += dxhat * xhat;
      if (dw) dw[j] += g[o + j] * xhat;
      if (db) db[j] += g[o + j];
    }
    const m1 = sumDxhat / cols;
    const m2 = sumDxhatXhat / cols;
    for (let j = 0; j < cols; j++) {
      const xhat = (x[o + j] - mu) * rs;
      const dxhat = g[o + j] * (w ? w[j] : 1);
      dx[o + j] = rs * (dxhat - m1 - xhat * m2);
    }
  }
}

export function rmsNormBackward(
  x: Float32Array, w: Float32Array | null, rstd: Float32Array, g: Float32Array, dx: Float32Array,
  dw: Float32Array | null, rows: number, cols: number,
): void {
  dw?.fill(0);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    const s = rstd[r];
    // dx = s * gw - x * s^3 * mean(gw * x), gw = g * w
    let dot = 0;
    for (let j = 0; j < cols; j++) {
      dot += g[o + j] * (w ? w[j] : 1) * x[o + j];
      if (dw) dw[j] += g[o + j] * x[o + j] * s;
    }
    const c = (s * s * s * dot) / cols;
    for (let j = 0; j < cols; j++) dx[o + j] = s * g[o + j] * (w ? w[j] : 1) - x[o + j] * c;
  }
}

const f = Math.fround;

/** Backend.adamwStep: float32 rounding after every operation, as torch's in-place ops. */
export function adamwStep(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, h: AdamWStepScalars): void {
  const { decay, beta1: b1, beta2: b2, oneMinusBeta1: a1, oneMinusBeta2: a2, stepSize, bc2Sqrt, eps: e } = h;
  for (let i = 0; i < p.length; i++) {
    const gi = g[i];
    const pi = f(p[i] * decay);
    const mi = (m[i] = f(f(m[i] * b1) + f(gi * a1)));
    const vi = (v[i] = f(f(v[i] * b2) + f(f(gi * gi) * a2)));
    const denom = f(f(f(Math.sqrt(vi)) / bc2Sqrt) + e);
    p[i] = f(pi + f(stepSize * f(mi / denom)));
  }
}

/** Backend.sumRows: float64 column sums in row order, rounded once. */
export function sumRows(x: Float32Array, out: Float32Array, rows: number, cols: number): void {
  const acc = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const from = r * cols;
    for (let j = 0; j < cols; j++) acc[j] += x[from + j];
  }
  out.set(acc);
}

export function softmaxBackward(y: Float32Array, g: Float32Array, dx: Float32Array, rows: number, cols: number): void {
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    // dx = y * (g - sum(g * y))
    let dot = 0;
    for (let j = 0; j < cols; j++) dot += g[o + j] * y[o + j];
    for (let j = 0; j < cols; j++) dx[o + j] = y[o + j] * (g[o + j] - dot);
  }
}
