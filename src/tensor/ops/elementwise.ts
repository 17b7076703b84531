/**
 * Elementwise arithmetic with NumPy broadcasting, and unary math. Each op records its
 * gradient rule right here.
 */
import { needsGrad, noGrad } from "../autograd.js";
import { Tensor, addArrays } from "../tensor.js";
import { takeFloat32 } from "../recycled.js";
import { broadcastShapes, broadcastStrides, sameShape, sizeOf } from "../shape.js";
import { erf as erfScalar, sigmoid as sigmoidScalar } from "../../backend/numerics/index.js";
import { expand } from "./layout.js";
import { sumToShape } from "./reduce.js";

export type TensorLike = Tensor | number;

export function asTensor(x: TensorLike): Tensor {
  return typeof x === "number" ? new Tensor(Float32Array.of(x), []) : x;
}

type BinaryFn = (x: number, y: number) => number;

/** Applies `fn` over the broadcast of a and b into a new float32 tensor. */
export function broadcastBinary(a: Tensor, b: Tensor, fn: BinaryFn, op: string): Tensor {
  const x = a.f32(op);
  const y = b.f32(op);
  if (sameShape(a.shape, b.shape)) {
    const out = new Float32Array(x.length);
    for (let i = 0; i < out.length; i++) out[i] = fn(x[i], y[i]);
    return new Tensor(out, a.shape);
  }
  const shape = broadcastShapes(a.shape, b.shape);
  const n = sizeOf(shape);
  const out = new Float32Array(n);
  if (y.length === 1) {
    const v = y[0];
    for (let i = 0; i < n; i++) out[i] = fn(x[i], v);
    return new Tensor(out, shape);
  }
  if (x.length === 1) {
    const v = x[0];
    for (let i = 0; i < n; i++) out[i] = fn(v, y[i]);
    return new Tensor(out, shape);
  }
  // b repeats along leading dimensions (bias over rows): a tight loop without index math.
  if (x.length === n && isTrailingRepeat(b.shape, shape)) {
    const period = y.length;
    for (let base = 0; base < n; base += period) {
      for (let j = 0; j < period; j++) out[base + j] = fn(x[base + j], y[j]);
    }
    return new Tensor(out, shape);
  }
  if (y.length === n && isTrailingRepeat(a.shape, shape)) {
    const period = x.length;
    for (let base = 0; base < n; base += period) {
      for (let j = 0; j < period; j++) out[base + j] = fn(x[j], y[base + j]);
    }
    return new Tensor(out, shape);
  }
  const sa = broadcastStrides(a.shape, shape);
  const sb = broadcastStrides(b.shape, shape);
  const nd = shape.length;
  const idx = new Array<number>(nd).fill(0);
  let ia = 0;
  let ib = 0;
  for (let i = 0; i < n; i++) {
    out[i] = fn(x[ia], y[ib]);
    // Odometer increment over the output index, moving both input offsets.
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]++;
      ia += sa[d];
      ib += sb[d];
      if (idx[d] < shape[d]) break;
      ia -= sa[d] * shape[d];
      ib -= sb[d] * shape[d];
      idx[d] = 0;
    }
  }
  return new Tensor(out, shape);
}

/** True when `small`, without its leading 1s, equals the trailing dimensions of `full`. */
function isTrailingRepeat(small: readonly number[], full: readonly number[]): boolean {
  let start = 0;
  while (start < small.length && small[start] === 1) start++;
  const s = small.length - start;
  if (s > full.length) return false;
  for (let i = 1; i <= s; i++) if (small[small.length - i] !== full[full.length - i]) return false;
  return true;
}

// ---- the four arithmetic ops without a per-element call ---------------------------------

type Rows = (full: Float32Array, rep: Float32Array, out: Float32Array, period: number) => void;

// Each kernel reads `full` (out's size) and `rep` (a block of `period` elements repeated along
// the leading dimensions; period 1 is a scalar, period = size an equal shape). One function
// per op keeps every loop monomorphic: through a shared closure V8 cannot inline the op, and
// the call per element costs several times the arithmetic (residual adds, biases, scaling).
const addRows: Rows = (f, r, o, period) => {
  const n = o.length;
  if (period === 1) {
    const v = r[0];
    for (let i = 0; i < n; i++) o[i] = f[i] + v;
    return;
  }
  for (let base = 0; base < n; base += period) for (let j = 0; j < period; j++) o[base + j] = f[base + j] + r[j];
};
const mulRows: Rows = (f, r, o, period) => {
  const n = o.length;
  if (period === 1) {
    const v = r[0];
    for (let i = 0; i < n; i++) o[i] = f[i] * v;
    return;
  }
  for (let base = 0; base < n; base += period) for (let j = 0; j < period; j++) o[base + j] = f[base + j] * r[j];
};
/** full - rep */
const subRows: Rows = (f, r, o, period) => {
  const n = o.length;
  if (period === 1) {
    const v = r[0];
    for (let i = 0; i < n; i++) o[i] = f[i] - v;
    return;
  }
  for (let base = 0; base < n; base += period) for (let j = 0; j < period; j++) o[base + j] = f[base + j] - r[j];
};
/** rep - full */
const rsubRows: Rows = (f, r, o, period) => {
  const n = o.length;
  if (period === 1) {
    const v = r[0];
    for (let i = 0; i < n; i++) o[i] = v - f[i];
    return;
  }
  for (let base = 0; base < n; base += period) for (let j = 0; j < period; j++) o[base + j] = r[j] - f[base + j];
};
/** full / rep */
const divRows: Rows = (f, r, o, period) => {
  const n = o.length;
  if (period === 1) {
    const v = r[0];
    for (let i = 0; i < n; i++) o[i] = f[i] / v;
    return;
  }
  for (let base = 0; base < n; base += period) for (let j = 0; j < period; j++) o[base + j] = f[base + j] / r[j];
};
/** rep / full */
const rdivRows: Rows = (f, r, o, period) => {
  const n = o.length;
  if (period === 1) {
    const v = r[0];
    for (let i = 0; i < n; i++) o[i] = v / f[i];
    return;
  }
  for (let base = 0; base < n; base += period) for (let j = 0; j < period; j++) o[base + j] = r[j] / f[base + j];
};

/**
 * a (op) b with `aFirst(full, rep)` when b repeats (or equals a's shape) and `bFirst(full, rep)`
 * when a repeats; any other broadcast goes through `broadcastBinary` with `fn`. Same values
 * as `broadcastBinary(a, b, fn)`, element for element.
 */
function arithmetic(a: Tensor, b: Tensor, aFirst: Rows, bFirst: Rows, fn: BinaryFn, op: string): Tensor {
  const x = a.f32(op);
  const y = b.f32(op);
  if (sameShape(a.shape, b.shape)) {
    const out = new Float32Array(x.length);
    aFirst(x, y, out, x.length);
    return new Tensor(out, a.shape);
  }
  const shape = broadcastShapes(a.shape, b.shape);
  const n = sizeOf(shape);
  if (x.length === n && y.length > 0 && isTrailingRepeat(b.shape, shape)) {
    const out = new Float32Array(n);
    aFirst(x, y, out, y.length);
    return new Tensor(out, shape);
  }
  if (y.length === n && x.length > 0 && isTrailingRepeat(a.shape, shape)) {
    const out = new Float32Array(n);
    bFirst(y, x, out, x.length);
    return new Tensor(out, shape);
  }
  return broadcastBinary(a, b, fn, op);
}

export function mapUnary(a: Tensor, fn: (x: number) => number, op: string): Tensor {
  const x = a.f32(op);
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = fn(x[i]);
  return new Tensor(out, a.shape);
}

function record(out: Tensor, op: string, inputs: Tensor[], backward: (g: Tensor) => Array<Tensor | null>): Tensor {
  if (needsGrad(...inputs)) out.setGradFn({ op, inputs, backward });
  return out;
}

// ---- binary arithmetic ------------------------------------------------------------------

export function add(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = [asTensor(a), asTensor(b)];
  let out: Tensor;
  if (sameShape(x.shape, y.shape)) {
    // Residual sums: megabytes, worth the backend's threads.
    out = new Tensor(takeFloat32(x.size), x.shape);
    addArrays(x.f32("add"), y.f32("add"), out.f32());
  } else {
    out = arithmetic(x, y, addRows, addRows, (p, q) => p + q, "add");
  }
  return record(out, "add", [x, y], (g) => [sumToShape(g, x.shape), sumToShape(g, y.shape)]);
}

export function sub(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = [asTensor(a), asTensor(b)];
  const out = arithmetic(x, y, subRows, rsubRows, (p, q) => p - q, "sub");
  return record(out, "sub", [x, y], (g) => [sumToShape(g, x.shape), sumToShape(neg(g), y.shape)]);
}

export function mul(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = [asTensor(a), asTensor(b)];
  const out = arithmetic(x, y, mulRows, mulRows, (p, q) => p * q, "mul");
  return record(out, "mul", [x, y], (g) => [
    x.requiresGrad ? sumToShape(mul(g, y), x.shape) : null,
    y.requiresGrad ? sumToShape(mul(g, x), y.shape) : null,
  ]);
}

export function div(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = [asTensor(a), asTensor(b)];
  const out = arithmetic(x, y, divRows, rdivRows, (p, q) => p / q, "div");
  return record(out, "div", [x, y], (g) => [
    x.requiresGrad ? sumToShape(div(g, y), x.shape) : null,
    // d(x/y)/dy = -x/y^2 = -out/y
    y.requiresGrad ? sumToShape(neg(div(mul(g, out), y)), y.shape) : null,
  ]);
}

/** x ** p, elementwise; p a number or a tensor (broadcast). */
export function pow(a: TensorLike, p: TensorLike): Tensor {
  const [x, e] = [asTensor(a), asTensor(p)];
  const out = broadcastBinary(x, e, Math.pow, "pow");
  return record(out, "pow", [x, e], (g) => [
    x.requiresGrad ? sumToShape(mul(g, mul(e, pow(x, sub(e, 1)))), x.shape) : null,
    e.requiresGrad ? sumToShape(mul(g, mul(out, log(x))), e.shape) : null,
  ]);
}

export function maximum(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = [asTensor(a), asTensor(b)];
  const out = broadcastBinary(x, y, (p, q) => (p >= q || Number.isNaN(p) ? p : q), "maximum");
  // Ties send the gradient to the first argument, as a subgradient choice.
  return record(out, "maximum", [x, y], (g) => [
    sumToShape(mul(g, broadcastBinary(x, y, (p, q) => (p >= q ? 1 : 0), "maximum")), x.shape),
    sumToShape(mul(g, broadcastBinary(x, y, (p, q) => (p >= q ? 0 : 1), "maximum")), y.shape),
  ]);
}

export function minimum(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = [asTensor(a), asTensor(b)];
  const out = broadcastBinary(x, y, (p, q) => (p <= q || Number.isNaN(p) ? p : q), "minimum");
  return record(out, "minimum", [x, y], (g) => [
    sumToShape(mul(g, broadcastBinary(x, y, (p, q) => (p <= q ? 1 : 0), "minimum")), x.shape),
    sumToShape(mul(g, broadcastBinary(x, y, (p, q) => (p <= q ? 0 : 1), "minimum")), y.shape),
  ]);
}

/** cond ? a : b, elementwise with broadcasting; cond is a 0/1 float mask. */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = [asTensor(a), asTensor(b)];
  const shape = broadcastShapes(cond.shape, broadcastShapes(x.shape, y.shape));
  // Dense copies to read from; the gradient rule below routes g itself, so nothing is recorded.
  const c = expand(cond.detach(), shape).f32("where");
  const xs = expand(x.detach(), shape).f32("where");
  const ys = expand(y.detach(), shape).f32("where");
  const out = new Float32Array(c.length);
  for (let i = 0; i < c.length; i++) out[i] = c[i] !== 0 ? xs[i] : ys[i];
  const result = new Tensor(out, shape);
  return record(result, "where", [x, y], (g) => {
    const gd = g.f32();
    const gx = new Float32Array(gd.length);
    const gy = new Float32Array(gd.length);
    for (let i = 0; i < gd.length; i++) (c[i] !== 0 ? gx : gy)[i] = gd[i];
    return [sumToShape(new Tensor(gx, shape), x.shape), sumToShape(new Tensor(gy, shape), y.shape)];
  });
}

// ---- comparisons (no gradient; 0/1 float masks) -----------------------------------------

export function greater(a: TensorLike, b: TensorLike): Tensor {
  return broadcastBinary(asTensor(a), asTensor(b), (p, q) => (p > q ? 1 : 0), "greater");
}
export function less(a: TensorLike, b: TensorLike): Tensor {
  return broadcastBinary(asTensor(a), asTensor(b), (p, q) => (p < q ? 1 : 0), "less");
}
export function equal(a: TensorLike, b: TensorLike): Tensor {
  return broadcastBinary(asTensor(a), asTensor(b), (p, q) => (p === q ? 1 : 0), "equal");
}

// ---- unary math --------------------------------------------------------------------------

export function neg(a: Tensor): Tensor {
  const out = mapUnary(a, (v) => -v, "neg");
  return record(out, "neg", [a], (g) => [neg(g)]);
}

export function exp(a: Tensor): Tensor {
  const out = mapUnary(a, Math.exp, "exp");
  return record(out, "exp", [a], (g) => [mul(g, out)]);
}

export function log(a: Tensor): Tensor {
  const out = mapUnary(a, Math.log, "log");
  return record(out, "log", [a], (g) => [div(g, a)]);
}

export function sqrt(a: Tensor): Tensor {
  const out = mapUnary(a, Math.sqrt, "sqrt");
  return record(out, "sqrt", [a], (g) => [div(mul(g, 0.5), out)]);
}

export function rsqrt(a: Tensor): Tensor {
  const out = mapUnary(a, (v) => 1 / Math.sqrt(v), "rsqrt");
  // d/dx x^-1/2 = -1/2 x^-3/2 = -1/2 out^3
  return record(out, "rsqrt", [a], (g) => [mul(g, mapUnary(out, (o) => -0.5 * o * o * o, "rsqrt"))]);
}

export function tanh(a: Tensor): Tensor {
  const out = mapUnary(a, Math.tanh, "tanh");
  return record(out, "tanh", [a], (g) => [mul(g, mapUnary(out, (o) => 1 - o * o, "tanh"))]);
}

export function sigmoid(a: Tensor): Tensor {
  const out = mapUnary(a, sigmoidScalar, "sigmoid");
  return record(out, "sigmoid", [a], (g) => [mul(g, mapUnary(out, (o) => o * (1 - o), "sigmoid"))]);
}

export function erf(a: Tensor): Tensor {
  const out = mapUnary(a, erfScalar, "erf");
  const c = 2 / Math.sqrt(Math.PI);
  return record(out, "erf", [a], (g) => [mul(g, mapUnary(a, (v) => c * Math.exp(-v * v), "erf"))]);
}

export function abs(a: Tensor): Tensor {
  const out = mapUnary(a, Math.abs, "abs");
  return record(out, "abs", [a], (g) => [mul(g, mapUnary(a, Math.sign, "abs"))]);
}

export function relu(a: Tensor): Tensor {
  const out = mapUnary(a, (v) => (v > 0 ? v : Number.isNaN(v) ? v : 0), "relu");
  return record(out, "relu", [a], (g) => [mul(g, mapUnary(a, (v) => (v > 0 ? 1 : 0), "relu"))]);
}

/** Clamps into [min, max] (either bound optional); the gradient passes inside the range. */
export function clamp(a: Tensor, min = -Infinity, max = Infinity): Tensor {
  const out = mapUnary(a, (v) => (v < min ? min : v > max ? max : v), "clamp");
  return record(out, "clamp", [a], (g) => [mul(g, mapUnary(a, (v) => (v >= min && v <= max ? 1 : 0), "clamp"))]);
}

/** Number of elements of a float tensor that are NaN (for tests and training guards). */
export function countNaN(a: Tensor): number {
  return noGrad(() => a.f32("countNaN").reduce((n, v) => n + (Number.isNaN(v) ? 1 : 0), 0));
}
