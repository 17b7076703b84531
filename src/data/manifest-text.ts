import { createReadStream } from "node:fs";
import { DatasetError } from "../errors.js";

/**
 * A manifest's text, decoded strictly: captions that are not what the file says would train
 * the model on garbage without a word, so undecodable bytes stop reading with the file and line.
 * - UTF-8, with or without a byte-order mark; invalid bytes are an error (never U+FFFD);
 * - UTF-16 LE or BE when a byte-order mark says so (Excel's "Unicode text" export);
 * - NUL bytes are an error: a binary file, or UTF-16 saved without a byte-order mark;
 * - a line longer than `maxLineBytes` is an error (a file with no line breaks is not a manifest).
 */
export const MAX_LINE_BYTES = 16 * 2 ** 20;

// Only ever given validated bytes; ignoreBOM keeps a U+FEFF inside the text as text.
const UTF8 = new TextDecoder("utf-8", { ignoreBOM: true });

type Encoding = "utf-8" | "utf-16le" | "utf-16be";

function detectEncoding(file: string, head: Uint8Array): { encoding: Encoding; bomLength: number } {
  const starts = (...bytes: number[]) => bytes.every((b, i) => head[i] === b);
  if (starts(0xff, 0xfe, 0, 0) || starts(0, 0, 0xfe, 0xff)) {
    throw new DatasetError(file, "the file is UTF-32 (its byte-order mark says so); save it as UTF-8", { line: 1 });
  }
  if (starts(0xef, 0xbb, 0xbf)) return { encoding: "utf-8", bomLength: 3 };
  if (starts(0xff, 0xfe)) return { encoding: "utf-16le", bomLength: 2 };
  if (starts(0xfe, 0xff)) return { encoding: "utf-16be", bomLength: 2 };
  return { encoding: "utf-8", bomLength: 0 };
}

/**
 * Length of the valid UTF-8 prefix of `bytes` (WHATWG's rules: no overlong forms, no
 * surrogates, nothing past U+10FFFF). A sequence cut by the end of `bytes` counts as invalid
 * only when `final`; otherwise the prefix stops before it, for the next chunk to complete.
 */
export function validUtf8Prefix(bytes: Uint8Array, final: boolean): { valid: number; invalidAt: number | null } {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return { valid: i, invalidAt: i };
    for (let k = 1; k <= need; k++) {
      if (i + k >= bytes.length) return final ? { valid: i, invalidAt: i } : { valid: i, invalidAt: null };
      const c = bytes[i + k];
      if (c < (k === 1 ? lo : 0x80) || c > (k === 1 ? hi : 0xbf)) return { valid: i, invalidAt: i };
    }
    i += need + 1;
  }
  return { valid: i, invalidAt: null };
}

function countNewlines(bytes: Uint8Array, end = bytes.length): number {
  let n = 0;
  for (let i = bytes.indexOf(0x0a); i >= 0 && i < end; i = bytes.indexOf(0x0a, i + 1)) n++;
  return n;
}

/**
 * The decoded text of `file`, chunk by chunk (see the rules above). Errors are DatasetErrors
 * naming the 1-based line of the offending byte.
 *
 * @example
 * for await (const text of manifestText("train.csv")) parser.write(text);
 */
export async function* manifestText(file: string, maxLineBytes = MAX_LINE_BYTES): AsyncGenerator<string> {
  let encoding: Encoding | null = null;
  let utf16: TextDecoder | null = null;
  let pending = new Uint8Array(0);
  let line = 1;
  let lineBytes = 0;
  const checkLineLength = (bytes: Uint8Array) => {
    const lastBreak = bytes.lastIndexOf(0x0a);
    lineBytes = lastBreak < 0 ? lineBytes + bytes.length : bytes.length - lastBreak - 1;
    if (lineBytes > maxLineBytes) {
      throw new DatasetError(file, `a line longer than ${maxLineBytes} bytes: not a manifest (or one with no line breaks)`, { line });
    }
  };
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    let bytes: Uint8Array = chunk;
    if (encoding === null) {
      if (pending.length + bytes.length < 4) {
        pending = Buffer.concat([pending, bytes]);
        continue;
      }
      bytes = Buffer.concat([pending, bytes]);
      pending = new Uint8Array(0);
      const detected = detectEncoding(file, bytes);
      encoding = detected.encoding;
      bytes = bytes.subarray(detected.bomLength);
      if (encoding !== "utf-8") utf16 = new TextDecoder(encoding, { fatal: true, ignoreBOM: true });
    }
    if (utf16) {
      let text: string;
      try {
        text = utf16.decode(bytes, { stream: true });
      } catch (cause) {
        throw new DatasetError(file, `invalid ${encoding!.toUpperCase()} (an unpaired surrogate)`, { line, cause });
      }
      checkLineLength(Buffer.from(text, "utf8"));
      line += text.split("\n").length - 1;
      yield text;
      continue;
    }
    if (pending.length > 0) bytes = Buffer.concat([pending, bytes]);
    checkLineLength(bytes);
    const { text, valid } = decodeUtf8Chunk(file, bytes, line, false);
    line += countNewlines(bytes);
    // A character cut by the chunk's end waits for the next chunk.
    pending = bytes.slice(valid);
    yield text;
  }
  if (encoding === null) {
    // A file shorter than four bytes.
    const detected = detectEncoding(file, pending);
    encoding = detected.encoding;
    pending = pending.subarray(detected.bomLength);
    if (encoding !== "utf-8") utf16 = new TextDecoder(encoding, { fatal: true, ignoreBOM: true });
  }
  if (utf16) {
    try {
      yield utf16.decode(pending);
    } catch (cause) {
      throw new DatasetError(file, `invalid ${encoding.toUpperCase()}: the file ends inside a character`, { line, cause });
    }
    return;
  }
  yield decodeUtf8Chunk(file, pending, line, true).text;
}

/** The complete characters of `bytes` as text, or a DatasetError at the first bad byte. */
function decodeUtf8Chunk(file: string, bytes: Uint8Array, firstLine: number, final: boolean): { text: string; valid: number } {
  const nul = bytes.indexOf(0);
  const { valid, invalidAt } = validUtf8Prefix(bytes, final);
  if (nul >= 0 && (invalidAt === null || nul < invalidAt)) {
    throw new DatasetError(
      file,
      "a NUL byte: this is not a text file, or it is UTF-16 without a byte-order mark (save it as UTF-8)",
      { line: firstLine + countNewlines(bytes, nul) },
    );
  }
  if (invalidAt !== null) {
    const shown = [...bytes.subarray(invalidAt, invalidAt + 4)].map((b) => b.toString(16).padStart(2, "0")).join(" ");
    throw new DatasetError(file, `not valid UTF-8 (bytes ${shown}); save the manifest as UTF-8`, {
      line: firstLine + countNewlines(bytes, invalidAt),
    });
  }
  return { text: UTF8.decode(bytes.subarray(0, valid)), valid };
}
