import { ArgumentError, ShapeError } from "../errors.js";

export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function formatShape(shape: Shape): string {
  return `[${shape.join(", ")}]`;
}

/** Normalises a possibly negative axis against `ndim`, with a clear error when out of range. */
export function normAxis(axis: number, ndim: number, what = "axis"): number {
  // A 0-d tensor accepts axis 0 and -1, as in PyTorch (softmax(scalar, -1) is 1).
  const n = Math.max(ndim, 1);
  const a = axis < 0 ? axis + n : axis;
  if (!Number.isInteger(a) || a < 0 || a >= n) {
    throw new ArgumentError(`${what} ${axis} is out of range for a tensor with ${ndim} dimensions`);
  }
  return a;
}

/** NumPy broadcasting of two shapes. */
export function broadcastShapes(a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(`shapes ${formatShape(a)} and ${formatShape(b)} cannot be broadcast together`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * Strides to read a tensor of `shape` as if it had `target` shape (0 on broadcast dimensions).
 */
export function broadcastStrides(shape: Shape, target: Shape): number[] {
  const own = stridesOf(shape);
  const out = new Array<number>(target.length).fill(0);
  const lead = target.length - shape.length;
  for (let i = 0; i < shape.length; i++) out[lead + i] = shape[i] === 1 ? 0 : own[i];
  return out;
}

/** Resolves one -1 in a reshape target. */
export function inferShape(shape: readonly number[], size: number): number[] {
  const out = [...shape];
  const free = out.indexOf(-1);
  if (free !== out.lastIndexOf(-1)) throw new ShapeError(`reshape: only one dimension can be -1, got ${formatShape(shape)}`);
  if (free >= 0) {
    const known = out.reduce((p, d, i) => (i === free ? p : p * d), 1);
    if (known === 0 || size % known !== 0) {
      throw new ShapeError(`reshape: cannot infer -1 in ${formatShape(shape)} for ${size} elements`);
    }
    out[free] = size / known;
  }
  if (out.some((d) => !Number.isInteger(d) || d < 0)) throw new ShapeError(`invalid shape ${formatShape(shape)}`);
  if (sizeOf(out) !== size) {
    throw new ShapeError(`reshape: cannot view ${size} elements as ${formatShape(shape)}`);
  }
  return out;
}
