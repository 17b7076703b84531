/**
 * The single-byte encodings that UTF-8 text is most often misread as, and the decoders ftfy
 * uses to undo that. Text is "encoded" into a binary string (one char per byte, U+0000-U+00FF)
 * so byte-level patterns can be plain regular expressions.
 *
 * "Sloppy" encodings are Windows code pages with their unassigned bytes read as the Latin-1
 * character of the same number, and U+FFFD written as byte 0x1A, so any byte round-trips.
 */

export type SingleByteEncoding =
  | "latin-1"
  | "sloppy-windows-1252"
  | "sloppy-windows-1251"
  | "sloppy-windows-1250"
  | "sloppy-windows-1253"
  | "sloppy-windows-1254"
  | "sloppy-windows-1257"
  | "iso-8859-2"
  | "macroman"
  | "cp437";

/** The order in which a misreading is suspected: the most common mix-ups first. */
export const MISREAD_ENCODINGS: readonly SingleByteEncoding[] = [
  "latin-1",
  "sloppy-windows-1252",
  "sloppy-windows-1251",
  "sloppy-windows-1250",
  "sloppy-windows-1253",
  "sloppy-windows-1254",
  "sloppy-windows-1257",
  "iso-8859-2",
  "macroman",
  "cp437",
];

// IBM PC code page 437, bytes 0x80-0xFF (not among the WHATWG encodings TextDecoder knows).
const CP437_HIGH =
  "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀" +
  "αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0";

// Windows-1252 bytes 0x80-0x9F (0xA0-0xFF are Latin-1's). Node 20's TextDecoder reads the
// "windows-1252" label as ISO-8859-1, so the table is spelled out; unassigned bytes keep their
// Latin-1 character, as the sloppy reading does.
const WINDOWS_1252_C1 =
  "\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f" +
  "\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178";

const WHATWG_LABEL: Partial<Record<SingleByteEncoding, string>> = {
  "sloppy-windows-1251": "windows-1251",
  "sloppy-windows-1250": "windows-1250",
  "sloppy-windows-1253": "windows-1253",
  "sloppy-windows-1254": "windows-1254",
  "sloppy-windows-1257": "windows-1257",
  "iso-8859-2": "iso-8859-2",
  macroman: "macintosh",
};

/** Characters of bytes 0x80-0xFF in `encoding`. */
function highHalf(encoding: SingleByteEncoding): string[] {
  if (encoding === "latin-1") return Array.from({ length: 128 }, (_, i) => String.fromCharCode(0x80 + i));
  if (encoding === "cp437") return [...CP437_HIGH];
  if (encoding === "sloppy-windows-1252") {
    return [...WINDOWS_1252_C1, ...Array.from({ length: 96 }, (_, i) => String.fromCharCode(0xa0 + i))];
  }
  const decoder = new TextDecoder(WHATWG_LABEL[encoding]!);
  // A byte the code page leaves unassigned decodes to U+FFFD: the sloppy reading keeps its Latin-1 character.
  return Array.from({ length: 128 }, (_, i) => {
    const char = decoder.decode(Uint8Array.of(0x80 + i));
    return char === "\ufffd" ? String.fromCharCode(0x80 + i) : char;
  });
}

interface Codec {
  decode: string[];
  encode: Map<string, number>;
  /** Every character the encoding can write. */
  chars: RegExp;
}

const codecs = new Map<SingleByteEncoding, Codec>();

function codec(encoding: SingleByteEncoding): Codec {
  let found = codecs.get(encoding);
  if (found) return found;
  const decode = [...Array.from({ length: 128 }, (_, i) => String.fromCharCode(i)), ...highHalf(encoding)];
  const sloppy = encoding.startsWith("sloppy");
  if (sloppy) decode[0x1a] = "\ufffd";
  const encode = new Map<string, number>();
  decode.forEach((char, byte) => encode.has(char) || encode.set(char, byte));
  const escaped = [...encode.keys()].map((c) => `\\u{${c.codePointAt(0)!.toString(16)}}`).join("");
  found = { decode, encode, chars: new RegExp(`^[${escaped}]*$`, "u") };
  codecs.set(encoding, found);
  return found;
}

/** True when every character of `text` has a byte in `encoding` (so it could be a misreading in it). */
export function canEncode(text: string, encoding: SingleByteEncoding | "ascii"): boolean {
  if (encoding === "ascii") return /^[\x00-\x7f]*$/.test(text);
  return codec(encoding).chars.test(text);
}

/** The bytes of `text` in `encoding`, as a binary string; call only when `canEncode`. */
export function encodeBytes(text: string, encoding: SingleByteEncoding): string {
  const { encode } = codec(encoding);
  let out = "";
  for (const char of text) out += String.fromCharCode(encode.get(char)!);
  return out;
}

/** A binary string read in `encoding`. */
export function decodeBytes(bytes: string, encoding: SingleByteEncoding): string {
  const { decode } = codec(encoding);
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += decode[bytes.charCodeAt(i)];
  return out;
}

/** Strict Windows-1252 (no sloppy fill): null when a byte is one the code page leaves unassigned. */
export function decodeWindows1252Strict(bytes: string): string | null {
  if (/[\x81\x8d\x8f\x90\x9d]/.test(bytes)) return null;
  return decodeBytes(bytes, "sloppy-windows-1252");
}

const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Strict UTF-8 of a binary string; null when it is not valid UTF-8. */
export function decodeUtf8(bytes: string): string | null {
  try {
    return STRICT_UTF8.decode(Uint8Array.from(bytes, (c) => c.charCodeAt(0)));
  } catch {
    return null;
  }
}

/** Standard UTF-8 bytes of one code point, as a binary string. */
function utf8Bytes(codePoint: number): string {
  return Buffer.from(String.fromCodePoint(codePoint), "utf8").toString("latin1");
}

/**
 * UTF-8 as buggy encoders write it, decoded too: CESU-8 (a supplementary character as two
 * 3-byte surrogate halves, what Java and MySQL's old "utf8" produce) and Java's two-byte NUL
 * (C0 80). Null when the bytes are invalid even so.
 */
export function decodeUtf8Variants(bytes: string): string | null {
  const standard = bytes.replace(/\xed([\xa0-\xaf])([\x80-\xbf])\xed([\xb0-\xbf])([\x80-\xbf])|\xc0\x80/g, (match, h1, h2, l1, l2) => {
    if (match === "\xc0\x80") return "\x00";
    const high = 0xd000 | ((h1.charCodeAt(0) & 0x3f) << 6) | (h2.charCodeAt(0) & 0x3f);
    const low = 0xd000 | ((l1.charCodeAt(0) & 0x3f) << 6) | (l2.charCodeAt(0) & 0x3f);
    return utf8Bytes(0x10000 + ((high - 0xd800) << 10) + (low - 0xdc00));
  });
  return decodeUtf8(standard);
}
