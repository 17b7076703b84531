/**
 * ftfy's `fix_encoding`: finds text that is UTF-8 read as a single-byte encoding (mojibake,
 * "cafÃ©") and reads it again as UTF-8 ("café"), step by step until nothing changes. Only text
 * that `isBad` calls mojibake is touched, so intended accents and symbols stay.
 */
import { isBad } from "./badness.js";
import {
  MISREAD_ENCODINGS,
  canEncode,
  decodeBytes,
  decodeUtf8,
  decodeUtf8Variants,
  decodeWindows1252Strict,
  encodeBytes,
} from "./codecs.js";

// Byte patterns below run on binary strings (one char per byte).

// UTF-8 sequences that would be valid had a program not turned byte A0 into a space; lead bytes
// are limited to those whose characters are likely next to an A0.
const ALTERED_UTF8 =
  /[\xc2\xc3\xc5\xce\xd0\xd9] |[\xe2\xe3] [\x80-\x84\x86-\x9f\xa1-\xbf]|[\xe0-\xe3][\x80-\x84\x86-\x9f\xa1-\xbf] |\xf0 [\x80-\xbf][\x80-\xbf]|\xf0[\x80-\xbf] [\x80-\xbf]|\xf0[\x80-\xbf][\x80-\xbf] /g;

// "Ã " as a word is almost always "à " whose A0 became a space; Portuguese "às", "àquele"...
// are contractions that keep the space meaning.
const A_GRAVE_WORD = /\xc3 (?! |quele|quela|quilo|s )/g;

// UTF-8 sequences in which some bytes were lost to U+FFFD (sloppy byte 1A) or '?'.
const LOSSY_UTF8 =
  /[\xc2-\xdf]\x1a|[\xc2-\xc3]\?|\xed[\xa0-\xaf][\x1a?]\xed[\xb0-\xbf][\x1a?\x80-\xbf]|\xed[\xa0-\xaf][\x1a?\x80-\xbf]\xed[\xb0-\xbf][\x1a?]|[\xe0-\xef][\x1a?][\x1a\x80-\xbf]|[\xe0-\xef][\x1a\x80-\xbf][\x1a?]|[\xf0-\xf4][\x1a?][\x1a\x80-\xbf][\x1a\x80-\xbf]|[\xf0-\xf4][\x1a\x80-\xbf][\x1a?][\x1a\x80-\xbf]|[\xf0-\xf4][\x1a\x80-\xbf][\x1a\x80-\xbf][\x1a?]|\x1a/g;

const C1_CONTROLS = /[\x80-\x9f]/g;

/** Puts back the A0 bytes that became spaces inside otherwise valid UTF-8 sequences. */
function restoreByteA0(bytes: string): string {
  return bytes.replace(A_GRAVE_WORD, "\xc3\xa0 ").replace(ALTERED_UTF8, (m) => m.replaceAll(" ", "\xa0"));
}

/** Lossy sequences become the UTF-8 of U+FFFD, so the rest can still be decoded. */
function replaceLossySequences(bytes: string): string {
  return bytes.replace(LOSSY_UTF8, "\xef\xbf\xbd");
}

/** C1 controls read as the Windows-1252 characters they almost always were. */
export function fixC1Controls(text: string): string {
  return text.replace(C1_CONTROLS, (c) => decodeBytes(c, "sloppy-windows-1252"));
}

// Characters that bytes of each UTF-8 role become in Latin-1 and the Windows code pages: the
// clues of mojibake embedded in otherwise good text.
const CLUE_ENCODINGS = [
  "latin-1",
  "sloppy-windows-1250",
  "sloppy-windows-1251",
  "sloppy-windows-1252",
  "sloppy-windows-1253",
  "sloppy-windows-1254",
  "sloppy-windows-1257",
] as const;
function clueClass(from: number, to: number, exclude = ""): string {
  const chars = new Set<string>();
  for (const encoding of CLUE_ENCODINGS) {
    for (let b = from; b <= to; b++) chars.add(decodeBytes(String.fromCharCode(b), encoding));
  }
  for (const c of exclude) chars.delete(c);
  return [...chars].map((c) => `\\u{${c.codePointAt(0)!.toString(16)}}`).join("");
}
const FIRST_OF_2 = clueClass(0xc2, 0xdf);
const FIRST_OF_3 = clueClass(0xe0, 0xef);
const FIRST_OF_4 = clueClass(0xf0, 0xf4);
// A space may stand for A0; spaces, dashes, quotes, bullets and ellipses can be themselves.
const CONTINUATION = `${clueClass(0x80, 0xbf)} `;
const CONTINUATION_STRICT = clueClass(0x80, 0xbf, "\u00a0\u2013\u2014\u2015\u2018\u2019\u201a\u201c\u201d\u201e\u2022\u2026");
// Runs of UTF-8-shaped characters not preceded by more of them (no fixing a few characters
// inside a large garble).
const UTF8_DETECTOR = new RegExp(
  `(?<![${CONTINUATION_STRICT}])(?:[${FIRST_OF_2}][${CONTINUATION}]|[${FIRST_OF_3}][${CONTINUATION}]{2}|[${FIRST_OF_4}][${CONTINUATION}]{3})+`,
  "gu",
);

/** Mojibake embedded in text of another encoding, fixed piece by piece. */
function decodeInconsistentUtf8(text: string): string {
  return text.replace(UTF8_DETECTOR, (piece) => (piece.length < text.length && isBad(piece) ? fixEncoding(piece) : piece));
}

/** One step of re-decoding; returns `text` itself when no step applies. */
function fixEncodingStep(text: string): string {
  if (text.length === 0 || canEncode(text, "ascii") || !isBad(text)) return text;
  const possible: string[] = [];
  for (const encoding of MISREAD_ENCODINGS) {
    if (!canEncode(text, encoding)) continue;
    possible.push(encoding);
    let bytes = encodeBytes(text, encoding);
    // MacRoman's en dash plus a space would look like an altered A0.
    if (encoding !== "macroman" && new RegExp(ALTERED_UTF8.source).test(bytes)) bytes = restoreByteA0(bytes);
    if (encoding.startsWith("sloppy")) bytes = replaceLossySequences(bytes);
    const fixed = /[\xed\xc0]/.test(bytes) ? decodeUtf8Variants(bytes) : decodeUtf8(bytes);
    if (fixed !== null) return fixed;
  }
  if (new RegExp(UTF8_DETECTOR.source, "u").test(text)) {
    const fixed = decodeInconsistentUtf8(text);
    if (fixed !== text) return fixed;
  }
  // Latin-1 that was meant as Windows-1252: only its C1 controls differ, and nobody means those.
  // (ftfy's early return for text that is also strict Windows-1252 compares against a name its
  // list never holds, so it never returns there; this keeps that behaviour.)
  if (possible.includes("latin-1")) {
    const fixed = decodeWindows1252Strict(encodeBytes(text, "latin-1"));
    if (fixed !== null && fixed !== text) return fixed;
  }
  if (/[\x80-\x9f]/.test(text)) return fixC1Controls(text);
  return text;
}

/**
 * Re-decodes mojibake until nothing changes, as ftfy's `fix_encoding`.
 *
 * @example
 * fixEncoding("cafÃ©");            // "café"
 * fixEncoding("This â€” dash");     // "This — dash"
 * fixEncoding("Charlotte Brontë…"); // unchanged: not mojibake
 */
export function fixEncoding(text: string): string {
  for (;;) {
    const fixed = fixEncodingStep(text);
    if (fixed === text) return text;
    text = fixed;
  }
}
