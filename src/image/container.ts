/**
 * What an image file's own bytes say about it, read without decoding: its container format
 * from the magic number, and whether the container's end marker is there. Decode errors are
 * classified from this rather than from libvips' error text, because libvips keeps one error
 * buffer for all threads: a message can carry another, concurrent decode's complaint.
 */
export type ContainerFormat = "png" | "jpeg" | "gif" | "webp";

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function startsWith(bytes: Uint8Array, prefix: readonly number[], at = 0): boolean {
  return bytes.length >= at + prefix.length && prefix.every((b, i) => bytes[at + i] === b);
}

const ascii = (text: string): number[] => [...text].map((c) => c.charCodeAt(0));

export function containerFormat(bytes: Uint8Array): ContainerFormat | null {
  if (startsWith(bytes, PNG_SIGNATURE)) return "png";
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return "jpeg";
  if (startsWith(bytes, ascii("GIF8"))) return "gif";
  if (startsWith(bytes, ascii("RIFF")) && startsWith(bytes, ascii("WEBP"), 8)) return "webp";
  return null;
}

/** Every format `decodeImage` reads, told from the first bytes alone. */
export type ImageFormat = ContainerFormat | "tiff" | "heif" | "svg";

/** How many leading bytes `sniffImageFormat` wants to see (an SVG may open with a long XML prologue). */
export const SNIFF_BYTES = 4096;

/**
 * The image format a file's first bytes announce, or null when they announce none: checked
 * before reading a file whole, so `/dev/zero` or a 7 GB log fails at once instead of being
 * loaded to find out.
 */
export function sniffImageFormat(head: Uint8Array): ImageFormat | null {
  const container = containerFormat(head);
  if (container) return container;
  if (startsWith(head, ascii("II*\0")) || startsWith(head, ascii("MM\0*"))) return "tiff";
  // ISO base media (AVIF, HEIC): a box size, then the `ftyp` box type.
  if (startsWith(head, ascii("ftyp"), 4)) return "heif";
  // SVG is text: markup first, after an optional UTF-8 byte-order mark and whitespace.
  const text = Buffer.from(head.buffer, head.byteOffset, Math.min(head.length, SNIFF_BYTES)).toString("latin1");
  if (/^(\xEF\xBB\xBF)?\s*</.test(text)) return "svg";
  return null;
}

// Encoders may pad a file after its end marker; this much padding still counts as complete.
const TAIL = 16;

/** True when the file stops before its container's end: no IEND, EOI or trailer, or short of RIFF's size. */
export function isCutShort(format: ContainerFormat, bytes: Uint8Array): boolean {
  const tail = bytes.subarray(Math.max(0, bytes.length - TAIL));
  const tailHas = (marker: readonly number[]) => tail.some((_, i) => startsWith(tail, marker, i));
  switch (format) {
    case "png":
      return !tailHas(ascii("IEND"));
    case "jpeg":
      return !tailHas([0xff, 0xd9]);
    case "gif":
      return !tail.includes(0x3b);
    case "webp": {
      const riffSize = new DataView(bytes.buffer, bytes.byteOffset).getUint32(4, true);
      return bytes.length < riffSize + 8;
    }
  }
}
