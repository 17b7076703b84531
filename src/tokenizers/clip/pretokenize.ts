import { PY_REGEX_WHITESPACE } from "../python-whitespace.js";

// The original pattern, compiled by the `regex` module with IGNORECASE: whole special tokens,
// English contractions, letter runs, single digits, runs of anything else but whitespace.
const WORD = new RegExp(
  "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|" +
    `[\\p{L}]+|[\\p{N}]|[^${PY_REGEX_WHITESPACE}\\p{L}\\p{N}]+`,
  "giu",
);

// U+0345 COMBINING GREEK YPOGEGRAMMENI case-folds to a letter (ι). Under IGNORECASE the
// `regex` module matches it with neither `[\p{L}]` nor the negated class, so it ends up in
// no token and splits words like a space; JS's /iu matches it as a letter. A space in its
// place gives Python's split exactly.
const YPOGEGRAMMENI = /\u0345/g;

/**
 * Split normalised text into the words BPE sees, as the original `re.findall(pat, text)`.
 * With the explicit whitespace class and the U+0345 fix-up above, the class of every code
 * point matches Python `regex` 2026.5 (Unicode 17); older `regex` releases know fewer letters.
 */
export function splitWords(text: string): string[] {
  return text.replace(YPOGEGRAMMENI, " ").match(WORD) ?? [];
}
