/**
 * ftfy's small fixers: each turns one kind of glitch into what the text meant, and each is a
 * no-op on text without that glitch.
 */
import { DecodingMode, decodeHTML } from "entities/decode";
import { htmlUnescape } from "../clip/html-unescape.js";

// An entity with its semicolon: `&name;`, `&#123;`, `&#x1F600;`.
const HTML_ENTITY = /&#?[0-9A-Za-z]{1,24};/g;

/** `&name;` as an HTML5 entity with its semicolon, or undefined. */
function namedEntity(reference: string): string | undefined {
  const decoded = decodeHTML(reference, DecodingMode.Strict);
  return decoded !== reference ? decoded : undefined;
}

/**
 * HTML entities with semicolons, as ftfy decodes them: HTML5 names, numeric references, and
 * names of lowercase entities written in capitals (`&EACUTE;` -> "É", a database that
 * upper-cased its text), but not bare `&amp` or `&not` inside ordinary words.
 *
 * @example
 * unescapeHtml("P&EACUTE;REZ &lt;3 &#x2019;"); // "PÉREZ <3 ’"
 */
export function unescapeHtml(text: string): string {
  if (!text.includes("&")) return text;
  return text.replace(HTML_ENTITY, (reference) => {
    if (reference[1] === "#") {
      const decoded = htmlUnescape(reference);
      return decoded.includes(";") ? reference : decoded;
    }
    const named = namedEntity(reference);
    if (named !== undefined) return named;
    // Capitals stand for a lowercase entity only when they are no entity themselves.
    const lower = reference.toLowerCase();
    if (reference === reference.toUpperCase() && lower !== reference && htmlUnescape(reference) === reference) {
      const char = namedEntity(lower);
      if (char !== undefined) return char.toUpperCase();
    }
    return reference;
  });
}

/** "ANSI" terminal escapes (colours, cursor moves) removed. */
export function removeTerminalEscapes(text: string): string {
  return text.replace(/\x1b\[(?:\d|;)*[a-zA-Z]/g, "");
}

/** Curly quotes (and the modifier-letter apostrophe) made straight. */
export function uncurlQuotes(text: string): string {
  return text.replace(/[\u201c-\u201f]/g, '"').replace(/[\u02bc\u2018-\u201b]/g, "'");
}

// Ligatures of Latin letters (typographic ones, and digraphs kept for legacy encodings) and
// what they are made of; æ and œ are letters in their own right and stay.
const LATIN_LIGATURES: ReadonlyMap<string, string> = new Map([
  ["\u0132", "IJ"], ["\u0133", "ij"], ["\u0149", "\u02bcn"],
  ["\u01c4", "D\u017d"], ["\u01c5", "D\u017e"], ["\u01c6", "d\u017e"],
  ["\u01c7", "LJ"], ["\u01c8", "Lj"], ["\u01c9", "lj"],
  ["\u01ca", "NJ"], ["\u01cb", "Nj"], ["\u01cc", "nj"],
  ["\u01f1", "DZ"], ["\u01f2", "Dz"], ["\u01f3", "dz"],
  ["\ufb00", "ff"], ["\ufb01", "fi"], ["\ufb02", "fl"], ["\ufb03", "ffi"], ["\ufb04", "ffl"], ["\ufb05", "\u017ft"], ["\ufb06", "st"],
]);

/** Latin ligatures (ﬁ, ﬂ, Ĳ...) split into their letters. */
export function fixLatinLigatures(text: string): string {
  return text.replace(/[\u0132\u0133\u0149\u01c4-\u01cc\u01f1-\u01f3\ufb00-\ufb06]/g, (c) => LATIN_LIGATURES.get(c)!);
}

/** Fullwidth ASCII (ＡＢＣ！) and halfwidth katakana and Hangul in their usual width; U+3000 as a space. */
export function fixCharacterWidth(text: string): string {
  return text.replace(/[\u3000\uff01-\uffef]/g, (c) => (c === "\u3000" ? " " : c.normalize("NFKC")));
}

/** CRLF, CR, U+2028, U+2029 and U+0085 (NEXT LINE) become LF. */
export function fixLineBreaks(text: string): string {
  return text.replace(/\r\n|[\r\u2028\u2029\u0085]/g, "\n");
}

/** Unpaired UTF-16 surrogates (pairs are already whole characters in a JS string) become U+FFFD. */
export function fixSurrogates(text: string): string {
  return text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");
}

/**
 * Control characters nobody means in text removed: C0 controls but tab, LF, FF and CR; DEL;
 * the deprecated Arabic format controls U+206A-206F; the byte-order mark U+FEFF; interlinear
 * annotation marks and the object replacement character U+FFF9-FFFC. C1 controls stay (they
 * are clues for `fixEncoding`), so do joiners, direction marks and tag characters.
 */
export function removeControlChars(text: string): string {
  return text.replace(/[\x00-\x08\x0b\x0e-\x1f\x7f\u206a-\u206f\ufeff\ufff9-\ufffc]/g, "");
}
