import { htmlUnescape } from "./html-unescape.js";

// The original collapses runs with the `regex` module's `\s` (the Unicode White_Space
// property) but trims with Python's `str.strip()`, which also removes U+001C..U+001F. JS's
// own `\s` differs from both (it has U+FEFF, lacks U+0085), so both sets are spelled out.
/** Python `regex` module `\s`, as a character-class body. */
export const PY_REGEX_WHITESPACE =
  "\\t\\n\\v\\f\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const PY_STRIP_WHITESPACE = `${PY_REGEX_WHITESPACE}\\x1c-\\x1f`;

const WHITESPACE_RUN = new RegExp(`[${PY_REGEX_WHITESPACE}]+`, "gu");
const STRIP = new RegExp(`^[${PY_STRIP_WHITESPACE}]+|[${PY_STRIP_WHITESPACE}]+$`, "gu");

function pyStrip(text: string): string {
  return text.replace(STRIP, "");
}

/**
 * The original CLIP text cleaning, `whitespace_clean(basic_clean(text)).lower()`, without
 * `ftfy.fix_text`: HTML-unescape twice (so `&amp;amp;` becomes `&`), strip, collapse
 * whitespace runs to one space, strip, lowercase.
 *
 * Lowercasing follows the Unicode version of this Node (its ICU); Python follows its own, so
 * letters added to Unicode after the Python that made a reference can lowercase differently.
 */
export function normalizeText(text: string): string {
  const unescaped = pyStrip(htmlUnescape(htmlUnescape(text)));
  return pyStrip(unescaped.replace(WHITESPACE_RUN, " ")).toLowerCase();
}
