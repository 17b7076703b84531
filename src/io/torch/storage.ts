import { FileFormatError } from "../../errors.js";
import { Tensor, type TensorData } from "../../tensor/tensor.js";
import { bf16ToFloat32, f16ToFloat32 } from "../half.js";

/**
 * Torch storages and the tensor views over them. Unpickling only records views (`TensorRef`);
 * `materialize` then reads each storage once, over just the span its views touch, and copies
 * each view out in row-major order, so strided, offset and transposed views of one shared
 * storage (tied or sliced weights) all come out as their own contiguous Tensors.
 */

/** How one torch storage class is stored and how it becomes Tensor data. */
export interface StorageType {
  /** Python name, e.g. `torch.HalfStorage`. */
  name: string;
  /** Bytes per element in the file. */
  itemSize: number;
  /** Bytes per element once decoded (float32 and int32: 4, int64: 8). */
  decodedSize: number;
  /** Stored bytes (in a fresh buffer, offset 0) -> Tensor data: floats upcast to float32, small ints widen to int32. */
  decode(raw: Uint8Array): TensorData;
}

const view16 = (raw: Uint8Array) => new Uint16Array(raw.buffer, raw.byteOffset, raw.length / 2);

function type(name: string, itemSize: number, decode: (raw: Uint8Array) => TensorData): StorageType {
  return { name: `torch.${name}`, itemSize, decodedSize: name === "LongStorage" ? 8 : 4, decode };
}

const STORAGE_TYPES: ReadonlyMap<string, StorageType> = new Map(
  [
    type("FloatStorage", 4, (raw) => new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4)),
    type("HalfStorage", 2, (raw) => {
      const out = new Float32Array(raw.length / 2);
      f16ToFloat32(view16(raw), out, 0);
      return out;
    }),
    type("BFloat16Storage", 2, (raw) => {
      const out = new Float32Array(raw.length / 2);
      bf16ToFloat32(view16(raw), out, 0);
      return out;
    }),
    // float64 has no Tensor dtype: rounded to float32, as the rest of the toolkit computes in it.
    type("DoubleStorage", 8, (raw) => Float32Array.from(new Float64Array(raw.buffer, raw.byteOffset, raw.length / 8))),
    type("LongStorage", 8, (raw) => new BigInt64Array(raw.buffer, raw.byteOffset, raw.length / 8)),
    type("IntStorage", 4, (raw) => new Int32Array(raw.buffer, raw.byteOffset, raw.length / 4)),
    type("ShortStorage", 2, (raw) => Int32Array.from(new Int16Array(raw.buffer, raw.byteOffset, raw.length / 2))),
    type("CharStorage", 1, (raw) => Int32Array.from(new Int8Array(raw.buffer, raw.byteOffset, raw.length))),
    type("ByteStorage", 1, (raw) => Int32Array.from(raw)),
    type("BoolStorage", 1, (raw) => Int32Array.from(raw, (b) => (b === 0 ? 0 : 1))),
  ].map((t) => [t.name, t]),
);

/** The storage class called `name` (`torch.FloatStorage`...), or undefined for one we cannot decode. */
export function storageType(name: string): StorageType | undefined {
  return STORAGE_TYPES.get(name);
}

/** Names of the decodable storage classes, for error messages. */
export function storageTypeNames(): string[] {
  return [...STORAGE_TYPES.keys()];
}

/** A storage in the archive: `key` names its bytes (`<archive>/data/<key>` in a zip checkpoint). */
export interface StorageRef {
  key: string;
  type: StorageType;
}

/** A tensor as the pickle describes it: a strided view into a storage, not read yet. */
export class TensorRef {
  constructor(
    readonly storage: StorageRef,
    /** In elements, like PyTorch's storage_offset. */
    readonly offset: number,
    readonly shape: readonly number[],
    readonly stride: readonly number[],
  ) {}

  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  /** One past the last storage element the view touches (strides are never negative in torch). */
  get end(): number {
    return this.offset + 1 + this.shape.reduce((sum, d, i) => sum + (d - 1) * this.stride[i], 0);
  }

  get contiguous(): boolean {
    let expected = 1;
    for (let i = this.shape.length - 1; i >= 0; i--) {
      if (this.shape[i] !== 1 && this.stride[i] !== expected) return false;
      expected *= this.shape[i];
    }
    return true;
  }
}

/** Reads `length` bytes from byte `start` of storage `key`; `bytes(key)` is the storage's stored size. */
export interface StorageSource {
  file: string;
  /** How the storage is named in errors, e.g. the zip entry `archive/data/3`. */
  describe(key: string): string;
  bytes(key: string): number;
  read(key: string, start: number, length: number): Uint8Array;
}

/**
 * How many bytes of copies `materialize` makes beyond the storages' own size. Copies of views
 * are needed (each view becomes its own contiguous tensor), but zero or overlapping strides let
 * a few bytes of storage stand for gigabytes (a 634-byte file viewing one float as 20000 x
 * 20000): copies may total the storages' decoded size plus this much, no more.
 */
export const MAX_EXTRA_COPY_BYTES = 256 * 2 ** 20;

interface StorageGroup {
  key: string;
  type: StorageType;
  views: TensorRef[];
  /** The element range its non-empty views touch: read once, decoded once. */
  start: number;
  end: number;
  nonEmpty: number;
}

/** One view that is the whole decoded span needs no copy: the span array is the tensor. */
function isWholeSpan(group: StorageGroup, view: TensorRef): boolean {
  return group.views.length === 1 && view.contiguous && view.offset === group.start && view.size === group.end - group.start;
}

function groupByStorage(refs: Iterable<TensorRef>, source: StorageSource): StorageGroup[] {
  const groups = new Map<string, StorageGroup>();
  for (const ref of refs) {
    const key = ref.storage.key;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { key, type: ref.storage.type, views: [], start: Infinity, end: -Infinity, nonEmpty: 0 }));
    if (ref.storage.type !== group.type) {
      throw new FileFormatError(source.file, `${source.describe(key)} is read both as ${group.type.name} and ${ref.storage.type.name}`);
    }
    group.views.push(ref);
    // Loops, not Math.min(...views): a spread of 200k views overflows the call stack.
    if (ref.size > 0) {
      group.nonEmpty++;
      group.start = Math.min(group.start, ref.offset);
      group.end = Math.max(group.end, ref.end);
    }
  }
  return [...groups.values()];
}

/** Refuses, before anything is read, views whose copies would dwarf the storages they view. */
function checkCopyBudget(groups: readonly StorageGroup[], source: StorageSource): void {
  let stored = 0;
  let copied = 0;
  for (const group of groups) {
    if (group.nonEmpty === 0) continue;
    stored += (group.end - group.start) * group.type.decodedSize;
    for (const view of group.views) if (!isWholeSpan(group, view)) copied += view.size * group.type.decodedSize;
  }
  if (copied > stored + MAX_EXTRA_COPY_BYTES) {
    throw new FileFormatError(
      source.file,
      `its tensor views would copy ${formatBytes(copied)} out of ${formatBytes(stored)} of storage (zero or overlapping ` +
        `strides repeat elements); refusing to materialise more than the storages plus ${formatBytes(MAX_EXTRA_COPY_BYTES)}`,
    );
  }
}

function formatBytes(bytes: number): string {
  if (bytes < 2 ** 20) return `${bytes} bytes`;
  return `${Math.round(bytes / 2 ** 20)} MiB`;
}

/** Turns every recorded view into a Tensor, reading each storage once over the span its views need. */
export function materialize(refs: Iterable<TensorRef>, source: StorageSource): Map<TensorRef, Tensor> {
  const groups = groupByStorage(refs, source);
  checkCopyBudget(groups, source);
  const out = new Map<TensorRef, Tensor>();
  for (const group of groups) {
    const { key, type, views, start, end } = group;
    const available = Math.floor(source.bytes(key) / type.itemSize);
    if (group.nonEmpty > 0 && end > available) {
      throw new FileFormatError(
        source.file,
        `${source.describe(key)}: a tensor view reaches element ${end} but the storage holds ${available} ${type.name} elements`,
      );
    }
    const data = group.nonEmpty > 0 ? type.decode(source.read(key, start * type.itemSize, (end - start) * type.itemSize)) : null;
    for (const view of views) {
      if (!data) {
        out.set(view, new Tensor(type.decode(new Uint8Array(0)), view.shape));
      } else if (isWholeSpan(group, view)) {
        // The common case, one tensor per storage: the decoded array is the tensor, no copy.
        out.set(view, new Tensor(data, view.shape));
      } else {
        out.set(view, new Tensor(gather(data, view, start), view.shape));
      }
    }
  }
  return out;
}

type Indexable = { [index: number]: number | bigint; readonly length: number };

/** Copies a strided view out of `span` (which starts at storage element `spanStart`) in row-major order. */
function gather(span: TensorData, view: TensorRef, spanStart: number): TensorData {
  const out = new (span.constructor as new (n: number) => TensorData)(view.size);
  const src: Indexable = span;
  const dst: Indexable = out;
  const { shape, stride } = view;
  const rank = shape.length;
  if (rank === 0) {
    dst[0] = src[view.offset - spanStart];
    return out;
  }
  const inner = shape[rank - 1];
  const innerStride = stride[rank - 1];
  const index = new Array<number>(rank - 1).fill(0);
  let base = view.offset - spanStart;
  for (let o = 0; o < out.length; ) {
    for (let i = 0, s = base; i < inner; i++, s += innerStride) dst[o++] = src[s];
    // Odometer over the outer dimensions.
    for (let d = rank - 2; d >= 0; d--) {
      base += stride[d];
      if (++index[d] < shape[d]) break;
      base -= stride[d] * shape[d];
      index[d] = 0;
    }
  }
  return out;
}
