/**
 * Hand-built PyTorch checkpoints for tests of hostile files: a zip in torch.save's layout
 * (`<archive>/data.pkl`, `<archive>/data/<key>`) around a pickle written opcode by opcode, so
 * a test can say exactly which strides, lengths or nesting a file claims.
 */
import * as zlib from "node:zlib";

export interface ZipInput {
  name: string;
  data: Uint8Array;
  /** DEFLATE the entry (torch stores; repacked archives deflate). */
  deflate?: boolean;
  /** Claim this uncompressed size in the directory instead of the true one. */
  claimedSize?: number;
}

const crc32 = (data: Uint8Array): number => ("crc32" in zlib ? (zlib.crc32 as (d: Uint8Array) => number)(data) : 0);

/** A plain zip (no ZIP64) holding `entries`. */
export function zipArchive(entries: readonly ZipInput[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name);
    const packed = entry.deflate ? zlib.deflateRawSync(entry.data) : Buffer.from(entry.data);
    const size = entry.claimedSize ?? entry.data.length;
    const method = entry.deflate ? 8 : 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc32(entry.data), 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc32(entry.data), 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, packed);
    centrals.push(central, name);
    offset += local.length + name.length + packed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** Pickle opcodes, protocol 2, appended in order. */
export class PickleWriter {
  private buf = new Uint8Array(1024);
  private length = 0;

  constructor() {
    this.op(0x80, 2);
  }

  private push(b: number): void {
    if (this.length === this.buf.length) {
      const grown = new Uint8Array(this.buf.length * 2);
      grown.set(this.buf);
      this.buf = grown;
    }
    this.buf[this.length++] = b;
  }
  op(...bytes: number[]): this {
    for (const b of bytes) this.push(b);
    return this;
  }
  private u32(opcode: number, n: number): this {
    return this.op(opcode, n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff);
  }
  int(n: number): this {
    return this.u32(0x4a, n); // BININT (two's complement, little-endian)
  }
  str(text: string): this {
    const data = Buffer.from(text);
    this.u32(0x58, data.length); // BINUNICODE
    for (const b of data) this.push(b);
    return this;
  }
  global(module: string, name: string): this {
    for (const b of Buffer.from(`c${module}\n${name}\n`, "latin1")) this.push(b);
    return this;
  }
  tuple(ints: readonly number[]): this {
    this.op(0x28);
    for (const n of ints) this.int(n);
    return this.op(0x74);
  }
  put(key: number): this {
    return this.u32(0x72, key); // LONG_BINPUT
  }
  get(key: number): this {
    return this.u32(0x6a, key); // LONG_BINGET
  }
  /** The pickle so far, with STOP. */
  bytes(): Buffer {
    return Buffer.concat([this.buf.subarray(0, this.length), Buffer.from([0x2e])]);
  }
}

export interface ViewSpec {
  name: string;
  /** Storage key: views with one key share a storage. */
  storage: string;
  /** Elements in that storage (the persistent id records it). */
  numel: number;
  offset?: number;
  shape: readonly number[];
  stride: readonly number[];
}

// Memo slots the writer reserves: the rebuild function, OrderedDict and each storage's persistent object.
const REBUILD_MEMO = 0;
const ORDERED_DICT_MEMO = 1;
const storageMemo = (index: number) => 2 + index;

/**
 * A torch.save-style state dict pickle: `{name: _rebuild_tensor_v2(storage, offset, shape,
 * stride, False, OrderedDict())}` for each view, storages FloatStorage, memoised so that a
 * view costs a few dozen bytes however many share a storage.
 */
export function stateDictPickle(views: readonly ViewSpec[]): Buffer {
  const w = new PickleWriter();
  const storages = new Map<string, number>();
  w.op(0x7d).op(0x28); // EMPTY_DICT, MARK
  views.forEach((view, i) => {
    w.str(view.name);
    if (i === 0) w.global("torch._utils", "_rebuild_tensor_v2").put(REBUILD_MEMO);
    else w.get(REBUILD_MEMO);
    w.op(0x28); // MARK: the arguments
    const known = storages.get(view.storage);
    if (known === undefined) {
      storages.set(view.storage, storages.size);
      w.op(0x28).str("storage").global("torch", "FloatStorage").str(view.storage).str("cpu").int(view.numel).op(0x74); // persistent id tuple
      w.op(0x51).put(storageMemo(storages.size - 1)); // BINPERSID
    } else {
      w.get(storageMemo(known));
    }
    w.int(view.offset ?? 0).tuple(view.shape).tuple(view.stride).op(0x89); // offset, size, stride, False
    if (i === 0) w.global("collections", "OrderedDict").put(ORDERED_DICT_MEMO);
    else w.get(ORDERED_DICT_MEMO);
    w.op(0x29, 0x52); // OrderedDict()
    w.op(0x74, 0x52); // TUPLE, REDUCE
  });
  return w.op(0x75).bytes(); // SETITEMS
}

/** A checkpoint file's bytes: `archive/data.pkl` plus float32 storages filled with 0, 1, 2... */
export function torchCheckpoint(
  pickle: Uint8Array,
  storages: Readonly<Record<string, number>>,
  options: { deflate?: boolean; claimedSize?: Readonly<Record<string, number>> } = {},
): Buffer {
  const entries: ZipInput[] = [{ name: "archive/data.pkl", data: pickle }];
  for (const [key, numel] of Object.entries(storages)) {
    const data = new Float32Array(numel).map((_, i) => i);
    entries.push({
      name: `archive/data/${key}`,
      data: new Uint8Array(data.buffer),
      deflate: options.deflate,
      claimedSize: options.claimedSize?.[key],
    });
  }
  return zipArchive(entries);
}
