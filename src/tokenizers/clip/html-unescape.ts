import { DecodingMode, decodeHTML } from "entities/decode";

/**
 * Python's `html.unescape`, reproduced rule for rule because CLIP applies it (twice) before
 * tokenising and any difference changes token ids.
 *
 * The named-entity table is the WHATWG one that `entities` ships (the same 2231 names as
 * Python's `html.entities.html5`); the surrounding algorithm is Python's, not the browser's:
 * - a reference is `&` + `#digits`, `#x hex` or up to 32 characters other than
 *   `\t \n \f space < & # ;`, each with an optional `;`;
 * - a name that is not in the table falls back to its longest prefix that is (only the
 *   legacy names without `;` can be prefixes), e.g. `&ampfoo` -> `&foo`, `&notin` -> `¬in`;
 * - numbers: the Windows-1252 remap of 0x80-0x9F, U+FFFD for 0, surrogates and > 0x10FFFF,
 *   and, unlike browsers, *nothing* for control characters and non-characters.
 */
export function htmlUnescape(text: string): string {
  if (!text.includes("&")) return text;
  return text.replace(CHARREF, (match, body: string) =>
    body[0] === "#" ? numericReference(body) : namedReference(body),
  );
}

const CHARREF = /&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)/gu;

function namedReference(body: string): string {
  // `body` holds no `&` or `#`, so the decoder sees exactly one reference, and its
  // longest-match rule in legacy (text) mode is Python's longest-prefix fallback.
  return decodeHTML(`&${body}`, DecodingMode.Legacy);
}

function numericReference(body: string): string {
  const hex = body[1] === "x" || body[1] === "X";
  const digits = body.slice(hex ? 2 : 1).replace(/;$/, "");
  // Precision is lost only far above 0x10FFFF, where every value gives U+FFFD alike.
  const code = parseInt(digits, hex ? 16 : 10);
  const remapped = INVALID_CHARREFS.get(code);
  if (remapped !== undefined) return remapped;
  if ((code >= 0xd800 && code <= 0xdfff) || code > 0x10ffff) return "\ufffd";
  if (isInvalidCodepoint(code)) return "";
  return String.fromCodePoint(code);
}

// Python's `html._invalid_charrefs`: the HTML5 numeric-reference fix-ups.
const INVALID_CHARREFS: ReadonlyMap<number, string> = new Map([
  [0x00, "\ufffd"], [0x0d, "\r"], [0x80, "\u20ac"], [0x81, "\x81"], [0x82, "\u201a"],
  [0x83, "\u0192"], [0x84, "\u201e"], [0x85, "\u2026"], [0x86, "\u2020"], [0x87, "\u2021"],
  [0x88, "\u02c6"], [0x89, "\u2030"], [0x8a, "\u0160"], [0x8b, "\u2039"], [0x8c, "\u0152"],
  [0x8d, "\x8d"], [0x8e, "\u017d"], [0x8f, "\x8f"], [0x90, "\x90"], [0x91, "\u2018"],
  [0x92, "\u2019"], [0x93, "\u201c"], [0x94, "\u201d"], [0x95, "\u2022"], [0x96, "\u2013"],
  [0x97, "\u2014"], [0x98, "\u02dc"], [0x99, "\u2122"], [0x9a, "\u0161"], [0x9b, "\u203a"],
  [0x9c, "\u0153"], [0x9d, "\x9d"], [0x9e, "\u017e"], [0x9f, "\u0178"],
]);

// Python's `html._invalid_codepoints`, which it deletes.
function isInvalidCodepoint(code: number): boolean {
  return (
    (code >= 0x01 && code <= 0x08) ||
    code === 0x0b ||
    (code >= 0x0e && code <= 0x1f) ||
    (code >= 0x7f && code <= 0x9f) ||
    (code >= 0xfdd0 && code <= 0xfdef) ||
    (code & 0xfffe) === 0xfffe
  );
}
