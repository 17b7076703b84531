import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { inflateRawSync } from "node:zlib";
import { FileFormatError } from "../../errors.js";

/**
 * A random-access reader for the zip archives that `torch.save` and `torch.jit.save` write.
 *
 * Written here rather than taken from npm: the zip libraries on npm either load the whole
 * archive (adm-zip, jszip, fflate's unzip) or only hand out asynchronous streams of an entry
 * (yauzl, node-stream-zip), while a checkpoint reader wants synchronous reads of a byte range
 * of one entry straight into a fresh, aligned array, so a multi-GB file never sits in memory
 * twice. Only the central directory is read on open; entries are read on demand.
 */

export interface ZipEntry {
  name: string;
  /** 0 = STORED (what torch writes), 8 = DEFLATE. */
  method: number;
  compressedSize: number;
  size: number;
  /** Offset of the entry's local header; its data follows the header's variable-length fields. */
  localHeaderOffset: number;
}

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_SIZE = 22;
const ZIP64_LOCATOR_SIZE = 20;
const MAX_COMMENT = 0xffff;
const LOCAL_HEADER_SIZE = 30;
// Deflate's best case: 258-byte matches in 2-bit codes, about 1032 bytes out per byte in.
const MAX_DEFLATE_RATIO = 1032;

/** A file's first bytes say whether it is a zip at all; used to tell the error cases apart. */
export function startsLikeZip(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04;
}

export class ZipReader {
  readonly path: string;
  readonly size: number;
  readonly entries: ReadonlyMap<string, ZipEntry>;
  private fd: number;
  private dataOffsets = new Map<string, number>();

  private constructor(path: string, fd: number, size: number, entries: Map<string, ZipEntry>) {
    this.path = path;
    this.fd = fd;
    this.size = size;
    this.entries = entries;
  }

  /** Opens `path` and reads its central directory; throws FileFormatError for a non-zip or truncated file. */
  static open(path: string): ZipReader {
    const fd = openSync(path, "r");
    try {
      const size = fstatSync(fd).size;
      return new ZipReader(path, fd, size, readCentralDirectory(path, fd, size));
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  close(): void {
    closeSync(this.fd);
  }

  /** The entry called `name`, or a FileFormatError naming it. */
  entry(name: string): ZipEntry {
    const found = this.entries.get(name);
    if (!found) throw new FileFormatError(this.path, `zip entry ${name} is missing`);
    return found;
  }

  /** The whole (decompressed) content of an entry. */
  readEntry(name: string): Uint8Array {
    const entry = this.entry(name);
    return this.readRange(name, 0, entry.size);
  }

  /**
   * `length` bytes of entry `name` from byte `start` of its (decompressed) content, into a new
   * array whose buffer starts at offset 0, so it can be viewed as any typed array.
   */
  readRange(name: string, start: number, length: number): Uint8Array {
    const entry = this.entry(name);
    if (start < 0 || length < 0 || start + length > entry.size) {
      throw new FileFormatError(
        this.path,
        `zip entry ${name}: bytes ${start}..${start + length} requested, the entry has ${entry.size}`,
      );
    }
    const dataOffset = this.dataOffset(entry);
    if (entry.method === 0) {
      const out = new Uint8Array(length);
      this.readAt(out, dataOffset + start, `zip entry ${name}`);
      return out;
    }
    // A deflated entry cannot be entered in the middle: inflate it whole. torch never writes
    // these, so this only serves archives repacked by other tools. The directory's size is
    // trusted only as far as deflate can compress, and inflating stops at it: a small file
    // cannot claim or produce gigabytes.
    if (entry.size > entry.compressedSize * MAX_DEFLATE_RATIO + 1024) {
      throw new FileFormatError(
        this.path,
        `zip entry ${name} claims ${entry.size} bytes from ${entry.compressedSize} compressed, more than deflate can encode`,
      );
    }
    const packed = new Uint8Array(entry.compressedSize);
    this.readAt(packed, dataOffset, `zip entry ${name}`);
    let inflated: Buffer;
    try {
      inflated = inflateRawSync(packed, { maxOutputLength: Math.max(entry.size, 1) });
    } catch (cause) {
      const tooLong = (cause as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE";
      throw new FileFormatError(
        this.path,
        tooLong ? `zip entry ${name} inflates past the ${entry.size} bytes the directory says` : `zip entry ${name}: corrupt deflate data`,
        { cause },
      );
    }
    if (inflated.length !== entry.size) {
      throw new FileFormatError(this.path, `zip entry ${name}: inflated to ${inflated.length} bytes, the directory says ${entry.size}`);
    }
    const part = inflated.subarray(start, start + length);
    // The whole entry in its own buffer is already what the caller needs; anything else is copied.
    return part.byteOffset === 0 && part.length === part.buffer.byteLength ? new Uint8Array(part.buffer) : new Uint8Array(part);
  }

  private dataOffset(entry: ZipEntry): number {
    const known = this.dataOffsets.get(entry.name);
    if (known !== undefined) return known;
    const header = new Uint8Array(LOCAL_HEADER_SIZE);
    this.readAt(header, entry.localHeaderOffset, `local header of zip entry ${entry.name}`);
    const view = new DataView(header.buffer);
    if (view.getUint32(0, true) !== LOCAL_SIGNATURE) {
      throw new FileFormatError(this.path, `zip entry ${entry.name}: no local header at offset ${entry.localHeaderOffset}`);
    }
    if (view.getUint16(6, true) & 1) throw new FileFormatError(this.path, `zip entry ${entry.name} is encrypted`);
    // The local header repeats the name but may carry a different extra field than the
    // central directory, so its own lengths decide where the data starts.
    const offset = entry.localHeaderOffset + LOCAL_HEADER_SIZE + view.getUint16(26, true) + view.getUint16(28, true);
    if (offset + entry.compressedSize > this.size) {
      throw new FileFormatError(
        this.path,
        `zip entry ${entry.name} ends at byte ${offset + entry.compressedSize}, past the end of the file (${this.size} bytes): the file is truncated`,
      );
    }
    this.dataOffsets.set(entry.name, offset);
    return offset;
  }

  private readAt(out: Uint8Array, position: number, what: string): void {
    readFully(this.path, this.fd, out, position, what);
  }
}

function readFully(path: string, fd: number, out: Uint8Array, position: number, what: string): void {
  let done = 0;
  while (done < out.length) {
    const n = readSync(fd, out, done, out.length - done, position + done);
    if (n === 0) {
      throw new FileFormatError(path, `${what}: file ends at byte ${position + done}, ${out.length - done} bytes short: the file is truncated`);
    }
    done += n;
  }
}

function readCentralDirectory(path: string, fd: number, size: number): Map<string, ZipEntry> {
  const tailLength = Math.min(size, EOCD_SIZE + MAX_COMMENT + ZIP64_LOCATOR_SIZE);
  const tail = new Uint8Array(tailLength);
  readFully(path, fd, tail, size - tailLength, "end of central directory");
  const tailView = new DataView(tail.buffer);
  let eocd = -1;
  for (let i = tailLength - EOCD_SIZE; i >= 0; i--) {
    if (tailView.getUint32(i, true) === EOCD_SIGNATURE) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) {
    const head = new Uint8Array(Math.min(4, size));
    readFully(path, fd, head, 0, "file header");
    throw new FileFormatError(
      path,
      startsLikeZip(head)
        ? "zip archive without its end of central directory: the file is truncated"
        : "not a zip archive",
    );
  }
  let count = tailView.getUint16(eocd + 10, true);
  let directorySize = tailView.getUint32(eocd + 12, true);
  let directoryOffset = tailView.getUint32(eocd + 16, true);
  if (count === 0xffff || directorySize === 0xffffffff || directoryOffset === 0xffffffff) {
    // ZIP64 (archives past 4 GB or 65535 entries): the real values live in a second record
    // that a locator just before the classic one points to.
    const locator = eocd - ZIP64_LOCATOR_SIZE;
    if (locator < 0 || tailView.getUint32(locator, true) !== ZIP64_LOCATOR_SIGNATURE) {
      throw new FileFormatError(path, "ZIP64 archive without a ZIP64 end-of-directory locator");
    }
    const recordOffset = toSafe(path, tailView.getBigUint64(locator + 8, true), "ZIP64 record offset");
    const record = new Uint8Array(56);
    readFully(path, fd, record, recordOffset, "ZIP64 end of central directory");
    const recordView = new DataView(record.buffer);
    if (recordView.getUint32(0, true) !== ZIP64_EOCD_SIGNATURE) {
      throw new FileFormatError(path, `no ZIP64 end of central directory at offset ${recordOffset}`);
    }
    count = toSafe(path, recordView.getBigUint64(32, true), "entry count");
    directorySize = toSafe(path, recordView.getBigUint64(40, true), "central directory size");
    directoryOffset = toSafe(path, recordView.getBigUint64(48, true), "central directory offset");
  }
  if (directoryOffset + directorySize > size) {
    throw new FileFormatError(path, `central directory (bytes ${directoryOffset}..${directoryOffset + directorySize}) lies past the end of the file (${size} bytes): the file is truncated`);
  }
  const directory = new Uint8Array(directorySize);
  readFully(path, fd, directory, directoryOffset, "central directory");
  return parseEntries(path, directory, count, size);
}

function parseEntries(path: string, directory: Uint8Array, count: number, fileSize: number): Map<string, ZipEntry> {
  const view = new DataView(directory.buffer);
  const decoder = new TextDecoder();
  const entries = new Map<string, ZipEntry>();
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + 46 > directory.length || view.getUint32(at, true) !== CENTRAL_SIGNATURE) {
      throw new FileFormatError(path, `central directory record ${i} of ${count} is malformed`);
    }
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const name = decoder.decode(directory.subarray(at + 46, at + 46 + nameLength));
    let compressedSize = view.getUint32(at + 20, true);
    let size = view.getUint32(at + 24, true);
    let localHeaderOffset = view.getUint32(at + 42, true);
    // ZIP64 extra field: 64-bit replacements, in this order, for exactly those fields that
    // are saturated in the fixed record.
    const extraStart = at + 46 + nameLength;
    for (let x = extraStart; x + 4 <= extraStart + extraLength; ) {
      const id = view.getUint16(x, true);
      const length = view.getUint16(x + 2, true);
      if (id === 0x0001) {
        let field = x + 4;
        const next = (what: string): number => {
          if (field + 8 > x + 4 + length) throw new FileFormatError(path, `zip entry ${name}: short ZIP64 field for ${what}`);
          const value = toSafe(path, view.getBigUint64(field, true), `${name} ${what}`);
          field += 8;
          return value;
        };
        if (size === 0xffffffff) size = next("size");
        if (compressedSize === 0xffffffff) compressedSize = next("compressed size");
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = next("offset");
      }
      x += 4 + length;
    }
    const method = view.getUint16(at + 10, true);
    if (method !== 0 && method !== 8) {
      throw new FileFormatError(path, `zip entry ${name} uses compression method ${method}; only STORED and DEFLATE are supported`);
    }
    if (localHeaderOffset + LOCAL_HEADER_SIZE > fileSize) {
      throw new FileFormatError(path, `zip entry ${name} starts at byte ${localHeaderOffset}, past the end of the file (${fileSize} bytes): the file is truncated`);
    }
    entries.set(name, { name, method, compressedSize, size, localHeaderOffset });
    at = extraStart + extraLength + commentLength;
  }
  return entries;
}

function toSafe(path: string, value: bigint, what: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new FileFormatError(path, `${what} ${value} is too large`);
  return Number(value);
}
