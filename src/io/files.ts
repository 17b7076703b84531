import { openSync, readSync, writeSync } from "node:fs";
import { FileFormatError, NotFoundError } from "../errors.js";

// fs.readSync/writeSync refuse lengths of 2 GiB or more in one call.
const MAX_IO_BYTES = 1 << 30;

/** Opens a file for reading; a missing file is a NotFoundError naming it. */
export function openForRead(path: string): number {
  try {
    return openSync(path, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") throw new NotFoundError(`${path}: no such file`);
    throw error;
  }
}

/**
 * Fills `target` from `position`. A short read means the file shrank after its header was
 * checked (or lies about its size): a FileFormatError saying what was being read.
 */
export function readExactly(fd: number, file: string, target: Uint8Array, position: number, what: string): void {
  let done = 0;
  while (done < target.length) {
    const length = Math.min(target.length - done, MAX_IO_BYTES);
    const n = readSync(fd, target, done, length, position + done);
    if (n === 0) {
      throw new FileFormatError(file, `${what}: file ended after ${position + done} bytes, ${target.length - done} bytes short`);
    }
    done += n;
  }
}

/** Writes all of `bytes` at the current position (writeSync may write less than asked). */
export function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) {
    done += writeSync(fd, bytes, done, Math.min(bytes.length - done, MAX_IO_BYTES));
  }
}

/** The bytes behind a typed array, without copying. */
export function bytesOf(array: ArrayBufferView): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}
