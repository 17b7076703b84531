/**
 * Python's two notions of whitespace, as regex character-class bodies, for code that must split
 * or strip text exactly as a Python reference does. JS's own `\s` matches neither (it has
 * U+FEFF, lacks U+0085).
 */

/** The `regex` module's `\s`: the Unicode White_Space property. */
export const PY_REGEX_WHITESPACE =
  "\\t\\n\\v\\f\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";

/** `str.isspace()`: what `str.strip()` removes and the `re` module's `\s` matches; adds U+001C-001F. */
export const PY_ISSPACE = `${PY_REGEX_WHITESPACE}\\x1c-\\x1f`;
