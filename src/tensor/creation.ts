import { ArgumentError } from "../errors.js";
import { type DType, type NestedArray, Tensor, type TensorData } from "./tensor.js";
import { type Shape, sizeOf } from "./shape.js";

function allocate(dtype: DType, n: number): TensorData {
  if (dtype === "float32") return new Float32Array(n);
  if (dtype === "int32") return new Int32Array(n);
  return new BigInt64Array(n);
}

function flatten(values: NestedArray, shape: number[], depth: number, out: number[]): void {
  if (typeof values === "number") {
    if (depth !== shape.length) throw new ArgumentError("tensor(): ragged nested array");
    out.push(values);
    return;
  }
  if (depth === shape.length) shape.push(values.length);
  else if (shape[depth] !== values.length) throw new ArgumentError("tensor(): ragged nested array");
  for (const v of values) flatten(v, shape, depth + 1, out);
}

/**
 * A tensor from nested numbers or a typed array (with its shape).
 *
 * @example
 * tensor([[1, 2], [3, 4]]);                 // float32 [2, 2]
 * tensor([5, 7], { dtype: "int32" });       // token ids
 * tensor(new Float32Array(6), { shape: [2, 3] });
 */
export function tensor(
  values: NestedArray | TensorData | number[],
  options: { shape?: Shape; dtype?: DType; requiresGrad?: boolean } = {},
): Tensor {
  let data: TensorData;
  let shape: number[];
  if (ArrayBuffer.isView(values)) {
    data = values as TensorData;
    shape = options.shape ? [...options.shape] : [data.length];
    if (options.dtype && options.dtype !== new Tensor(data, shape).dtype) {
      throw new ArgumentError(`tensor(): typed array does not match dtype ${options.dtype}`);
    }
  } else {
    const flat: number[] = [];
    shape = [];
    flatten(values, shape, 0, flat);
    if (options.shape) shape = [...options.shape];
    const dtype = options.dtype ?? "float32";
    data = allocate(dtype, flat.length);
    if (data instanceof BigInt64Array) flat.forEach((v, i) => ((data as BigInt64Array)[i] = BigInt(v)));
    else data.set(flat);
  }
  return new Tensor(data, shape, { requiresGrad: options.requiresGrad });
}

export function full(shape: Shape, value: number, dtype: DType = "float32"): Tensor {
  const data = allocate(dtype, sizeOf(shape));
  if (data instanceof BigInt64Array) data.fill(BigInt(value));
  else data.fill(value);
  return new Tensor(data, shape);
}

export function zeros(shape: Shape, dtype: DType = "float32"): Tensor {
  return new Tensor(allocate(dtype, sizeOf(shape)), shape);
}

export function ones(shape: Shape, dtype: DType = "float32"): Tensor {
  return full(shape, 1, dtype);
}

export function zerosLike(t: Tensor): Tensor {
  return zeros(t.shape, t.dtype);
}

export function onesLike(t: Tensor): Tensor {
  return ones(t.shape, t.dtype);
}

/** 0-d tensor. */
export function scalar(value: number): Tensor {
  return new Tensor(Float32Array.of(value), []);
}

/** [start, end) with a step, as torch.arange. */
export function arange(start: number, end?: number, step = 1, dtype: DType = "int32"): Tensor {
  if (end === undefined) [start, end] = [0, start];
  if (step === 0) throw new ArgumentError("arange(): step must not be 0");
  const n = Math.max(0, Math.ceil((end - start) / step));
  const data = allocate(dtype, n);
  for (let i = 0; i < n; i++) {
    const v = start + i * step;
    if (data instanceof BigInt64Array) data[i] = BigInt(v);
    else data[i] = v;
  }
  return new Tensor(data, [n]);
}
