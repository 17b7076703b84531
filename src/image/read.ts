import { type FileHandle, open } from "node:fs/promises";
import { ImageDecodeError, NotFoundError } from "../errors.js";
import { SNIFF_BYTES, sniffImageFormat } from "./container.js";

/**
 * Default cap on an image file's size: 512 MiB, above the largest file the pixel limit lets
 * decode in practice (an uncompressed RGB TIFF at the limit is 537 MB) and far above any
 * photo. Endless or huge inputs (`/dev/zero`, a mislabelled disk image) stop here.
 */
export const DEFAULT_MAX_BYTES = 512 * 2 ** 20;

const FORMATS_READ = "JPEG, PNG, WebP, GIF, AVIF/HEIF, TIFF or SVG";

/** The error for bytes that announce no image format we read, from their first bytes. */
export function notAnImage(name: string, head: Uint8Array): ImageDecodeError {
  if (head.length === 0) return new ImageDecodeError(name, "not-an-image", "empty file");
  return new ImageDecodeError(name, "not-an-image", `not an image: the first bytes are not those of a ${FORMATS_READ} file`);
}

/** The error for a file (or buffer) over the size cap. */
export function tooLarge(name: string, maxBytes: number, size?: number): ImageDecodeError {
  const what = size === undefined ? `more than ${maxBytes} bytes` : `${size} bytes`;
  return new ImageDecodeError(name, "too-large", `file too large: ${what}, the limit is ${maxBytes} (see maxBytes)`);
}

/**
 * Reads an image file whole, after its first bytes have shown an image signature and only
 * up to `maxBytes`: a device, a pipe or a huge file is refused without being read to its end.
 * Throws NotFoundError for a missing path, ImageDecodeError for everything else.
 */
export async function readImageFile(path: string, maxBytes: number): Promise<Buffer> {
  let file: FileHandle;
  try {
    file = await open(path, "r");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") throw new NotFoundError(`image not found: ${path}`);
    if (code === "EISDIR") throw new ImageDecodeError(path, "not-an-image", "is a directory, not an image");
    throw err;
  }
  try {
    const info = await file.stat();
    if (info.isDirectory()) throw new ImageDecodeError(path, "not-an-image", "is a directory, not an image");
    // Devices and pipes report size 0 whatever they hold: only a regular file's size means anything.
    if (info.isFile() && info.size > maxBytes) throw tooLarge(path, maxBytes, info.size);
    const head = await readUpTo(file, Math.min(SNIFF_BYTES, maxBytes + 1));
    if (sniffImageFormat(head) === null) throw notAnImage(path, head);
    if (info.isFile()) {
      // The size is known: one buffer, no chunks to join (a large file is never held twice).
      const whole = Buffer.allocUnsafe(Math.max(info.size, head.length));
      head.copy(whole);
      const rest = await readInto(file, whole, head.length);
      return whole.subarray(0, head.length + rest);
    }
    const chunks: Buffer[] = [head];
    let total = head.length;
    // Until the end of the input, or one byte past the cap (which proves it too large).
    while (total <= maxBytes) {
      const chunk = Buffer.allocUnsafe(Math.min(maxBytes + 1 - total, 16 * 2 ** 20));
      const n = await readInto(file, chunk, 0);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      total += n;
    }
    if (total > maxBytes) throw tooLarge(path, maxBytes);
    return Buffer.concat(chunks, total);
  } finally {
    await file.close();
  }
}

/** Up to `length` bytes from the current position; fewer only at the end of the input. */
async function readUpTo(file: FileHandle, length: number): Promise<Buffer> {
  const out = Buffer.allocUnsafe(length);
  return out.subarray(0, await readInto(file, out, 0));
}

/** Fills `out` from `offset` on, reading from the current position; returns the bytes read. */
async function readInto(file: FileHandle, out: Buffer, offset: number): Promise<number> {
  let done = offset;
  while (done < out.length) {
    const { bytesRead } = await file.read(out, done, out.length - done, null);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done - offset;
}
