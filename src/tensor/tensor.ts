import { ArgumentError, DTypeError, ShapeError } from "../errors.js";
import { getBackend } from "../backend/index.js";
import { type GradNode, needsGrad, runBackward } from "./autograd.js";
import { type Shape, formatShape, inferShape, sizeOf } from "./shape.js";

export type DType = "float32" | "int32" | "int64";
export type TensorData = Float32Array | Int32Array | BigInt64Array;

/** Nested number arrays, as returned by `toArray()`. */
export type NestedArray = number | NestedArray[];

function dtypeOf(data: TensorData): DType {
  if (data instanceof Float32Array) return "float32";
  if (data instanceof Int32Array) return "int32";
  return "int64";
}

/**
 * An n-dimensional array in dense row-major storage. Float32 tensors compute and carry
 * gradients; int32/int64 tensors hold indices (token ids, labels).
 *
 * Storage is always contiguous: reshape is a free view that shares `data`; permute and slice
 * copy. In-place writes to `data` must call `markChanged()` so caches keyed on the tensor
 * (packed GEMM panels) see the change.
 *
 * @example
 * const x = tensor([[1, 2], [3, 4]]);
 * x.shape;        // [2, 2]
 * x.toArray();    // [[1, 2], [3, 4]]
 */
export class Tensor {
  readonly shape: readonly number[];
  readonly data: TensorData;
  readonly dtype: DType;
  /** Leaf tensors with this flag receive `.grad` from `backward()`. */
  requiresGrad = false;
  grad: Tensor | null = null;
  /** The op that produced this tensor, when it was recorded. */
  gradFn: GradNode | null = null;
  /** Keep `.grad` on a non-leaf tensor too (PyTorch's retain_grad). */
  retainsGrad = false;
  /** Bumped by in-place updates; see `markChanged`. */
  version = 0;

  constructor(data: TensorData, shape: Shape, options: { requiresGrad?: boolean } = {}) {
    if (sizeOf(shape) !== data.length) {
      throw new ShapeError(`shape ${formatShape(shape)} needs ${sizeOf(shape)} elements, data has ${data.length}`);
    }
    if (shape.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new ShapeError(`invalid shape ${formatShape(shape)}: dimensions must be non-negative integers`);
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.dtype = dtypeOf(data);
    if (options.requiresGrad) this.setRequiresGrad(true);
  }

  get size(): number {
    return this.data.length;
  }

  get ndim(): number {
    return this.shape.length;
  }

  /** Float32 storage, or a DTypeError naming the op that needed it. */
  f32(op = "this op"): Float32Array {
    if (!(this.data instanceof Float32Array)) {
      throw new DTypeError(`${op} needs a float32 tensor, got ${this.dtype}`);
    }
    return this.data;
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new ShapeError(`item() needs exactly one element, tensor has shape ${formatShape(this.shape)}`);
    return Number(this.data[0]);
  }

  /** Element at a multi-index (for tests and debugging, not hot loops). */
  at(...index: number[]): number {
    if (index.length !== this.ndim) throw new ArgumentError(`at() needs ${this.ndim} indices, got ${index.length}`);
    let flat = 0;
    for (let i = 0; i < index.length; i++) {
      const d = this.shape[i];
      const j = index[i] < 0 ? index[i] + d : index[i];
      if (j < 0 || j >= d) throw new ArgumentError(`index ${index[i]} out of range for dimension ${i} of size ${d}`);
      flat = flat * d + j;
    }
    return Number(this.data[flat]);
  }

  /** Values as nested arrays (numbers; int64 converted with Number). */
  toArray(): NestedArray {
    const flat = Array.from(this.data as ArrayLike<number | bigint>, Number);
    if (this.ndim === 0) return flat[0];
    const build = (dim: number, offset: number): NestedArray[] => {
      const n = this.shape[dim];
      if (dim === this.ndim - 1) return flat.slice(offset, offset + n);
      const stride = sizeOf(this.shape.slice(dim + 1));
      return Array.from({ length: n }, (_, i) => build(dim + 1, offset + i * stride));
    };
    return build(0, 0);
  }

  /** Flat values as a plain number array. */
  toFlatArray(): number[] {
    return Array.from(this.data as ArrayLike<number | bigint>, Number);
  }

  /** A view with another shape (one dimension may be -1); shares storage, no copy. */
  reshape(...shape: number[] | [readonly number[]]): Tensor {
    const target = inferShape(Array.isArray(shape[0]) ? shape[0] : (shape as number[]), this.size);
    const out = new Tensor(this.data, target);
    if (needsGrad(this)) {
      const from = this.shape;
      out.setGradFn({ op: "reshape", inputs: [this], backward: (g) => [g.reshape(from)] });
    }
    return out;
  }

  /** Same storage, cut from the graph. */
  detach(): Tensor {
    return new Tensor(this.data, this.shape);
  }

  /** A copy with its own storage (recorded: gradients flow through). */
  clone(): Tensor {
    const out = new Tensor(this.data.slice() as TensorData, this.shape);
    if (needsGrad(this)) out.setGradFn({ op: "clone", inputs: [this], backward: (g) => [g] });
    return out;
  }

  setRequiresGrad(flag = true): this {
    if (flag && this.dtype !== "float32") throw new DTypeError(`only float32 tensors can require grad, got ${this.dtype}`);
    this.requiresGrad = flag;
    return this;
  }

  /** Internal: record the op that made this tensor. */
  setGradFn(node: GradNode): this {
    this.gradFn = node;
    this.requiresGrad = true;
    return this;
  }

  /** Keep the gradient of this intermediate tensor after backward(). */
  retainGrad(): this {
    this.retainsGrad = true;
    return this;
  }

  /** Call after writing into `data` in place. */
  markChanged(): void {
    this.version++;
  }

  /**
   * Back-propagates from this tensor. A scalar needs no gradient argument; otherwise pass
   * d(loss)/d(this) with this tensor's shape.
   */
  backward(gradient?: Tensor): void {
    if (gradient && gradient.size !== this.size) {
      throw new ShapeError(`backward(): gradient shape ${formatShape(gradient.shape)} does not match ${formatShape(this.shape)}`);
    }
    runBackward(
      this,
      gradient?.reshape(this.shape),
      (t) => new Tensor(new Float32Array(t.size).fill(1), t.shape),
      addSameShape,
      addIntoSameShape,
    );
  }

  toString(): string {
    const preview = this.size <= 8 ? this.toFlatArray().join(", ") : `${this.toFlatArray().slice(0, 8).join(", ")}, ...`;
    return `Tensor(${this.dtype}, ${formatShape(this.shape)}, [${preview}])`;
  }
}

/** Gradient accumulation: a fresh tensor, never an in-place write (grads may share storage). */
function addSameShape(a: Tensor, b: Tensor): Tensor {
  const out = new Float32Array(a.size);
  addArrays(a.f32("gradient accumulation"), b.f32("gradient accumulation"), out);
  return new Tensor(out, a.shape);
}

/** a += b, for gradient sums the autograd engine allocated itself (their storage is private). */
function addIntoSameShape(a: Tensor, b: Tensor): void {
  const x = a.f32("gradient accumulation");
  addArrays(x, b.f32("gradient accumulation"), x);
}

/** out = x + y on the backend (threads and SIMD for megabyte sums). */
export function addArrays(x: Float32Array, y: Float32Array, out: Float32Array): void {
  getBackend().add(x, y, out);
}
