/**
 * GPT-2/CLIP byte-level alphabet: every byte 0..255 gets a printable, non-whitespace character,
 * so BPE can work on strings while still covering arbitrary UTF-8. Bytes that are already
 * printable Latin-1 keep their own character; the others are moved to U+0100 and up, in byte
 * order. The order of `BYTE_CHARS` is the order of the original vocabulary's first 256 entries.
 */
function bytesToUnicode(): { bytes: number[]; chars: string[] } {
  const bytes: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bytes.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bytes.push(b);
  for (let b = 0xae; b <= 0xff; b++) bytes.push(b);
  const codes = [...bytes];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bytes.includes(b)) {
      bytes.push(b);
      codes.push(256 + n++);
    }
  }
  return { bytes, chars: codes.map((c) => String.fromCharCode(c)) };
}

const table = bytesToUnicode();

/** The 256 byte characters in the original vocabulary order (not byte order). */
export const BYTE_CHARS: readonly string[] = table.chars;

/** Byte value -> its character. */
export const BYTE_ENCODER: readonly string[] = (() => {
  const out = new Array<string>(256);
  table.bytes.forEach((b, i) => (out[b] = table.chars[i]!));
  return out;
})();

/** Character -> byte value. */
export const BYTE_DECODER: ReadonlyMap<string, number> = new Map(
  table.bytes.map((b, i) => [table.chars[i]!, b]),
);

const utf8 = new TextEncoder();

/** A string as its UTF-8 bytes written in the byte alphabet. */
export function encodeBytes(text: string): string {
  let out = "";
  for (const b of utf8.encode(text)) out += BYTE_ENCODER[b];
  return out;
}
