import { fixText } from "../ftfy/fix-text.js";
import { PY_ISSPACE, PY_REGEX_WHITESPACE } from "../python-whitespace.js";
import { htmlUnescape } from "./html-unescape.js";

// The original collapses runs with the `regex` module's `\s` but trims with `str.strip()`,
// which also removes U+001C..U+001F.
const WHITESPACE_RUN = new RegExp(`[${PY_REGEX_WHITESPACE}]+`, "gu");
const STRIP = new RegExp(`^[${PY_ISSPACE}]+|[${PY_ISSPACE}]+$`, "gu");

function pyStrip(text: string): string {
  return text.replace(STRIP, "");
}

/**
 * The original CLIP text cleaning, `whitespace_clean(basic_clean(text)).lower()`: ftfy's
 * `fix_text` (mojibake, curly quotes, full-width forms, ligatures, NFC, control characters,
 * line breaks; see `fixText`), HTML-unescape twice (so `&amp;amp;` becomes `&`), strip,
 * collapse whitespace runs to one space, strip, lowercase.
 *
 * Lowercasing follows the Unicode version of this Node (its ICU); Python follows its own, so
 * letters added to Unicode after the Python that made a reference can lowercase differently.
 */
export function normalizeText(text: string): string {
  const unescaped = pyStrip(htmlUnescape(htmlUnescape(fixText(text))));
  return pyStrip(unescaped.replace(WHITESPACE_RUN, " ")).toLowerCase();
}
