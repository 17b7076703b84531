/**
 * The few Python string behaviours the official evaluation scripts lean on, so that our
 * scorers split, strip and parse numbers exactly where theirs do. JavaScript differs in each:
 * `trim()` and `\s` know other whitespace than `str.isspace()`, and `Number("")` is 0 where
 * `float("")` raises.
 */

// str.isspace(): Unicode Zs plus the bidi classes WS, B and S (so \x1c-\x1f and \x85 count,
// U+FEFF does not, unlike JavaScript's \s).
const SPACE_CLASS = "\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const SPACES = new RegExp(`[${SPACE_CLASS}]+`, "u");
const LEADING = new RegExp(`^[${SPACE_CLASS}]+`, "u");
const TRAILING = new RegExp(`[${SPACE_CLASS}]+$`, "u");

/** `s.split()`: runs of whitespace separate words; no empty words. */
export function pySplit(s: string): string[] {
  return s.split(SPACES).filter((w) => w !== "");
}

function charsClass(chars: string): string {
  return `[${[...chars].map((c) => `\\u{${c.codePointAt(0)!.toString(16)}}`).join("")}]+`;
}

/** `s.strip()` or `s.strip(chars)`: drops the given characters (default whitespace) at both ends. */
export function pyStrip(s: string, chars?: string): string {
  return pyRStrip(pyLStrip(s, chars), chars);
}

/** `s.lstrip()` / `s.lstrip(chars)`. */
export function pyLStrip(s: string, chars?: string): string {
  if (chars === undefined) return s.replace(LEADING, "");
  return chars === "" ? s : s.replace(new RegExp(`^${charsClass(chars)}`, "u"), "");
}

/** `s.rstrip()` / `s.rstrip(chars)`. */
export function pyRStrip(s: string, chars?: string): string {
  if (chars === undefined) return s.replace(TRAILING, "");
  return chars === "" ? s : s.replace(new RegExp(`${charsClass(chars)}$`, "u"), "");
}

/** Python's float literal grammar as `float()` accepts it (underscores between digits included). */
const FLOAT_LITERAL = /^[+-]?(?:(?:\d(?:_?\d)*)?\.\d(?:_?\d)*|\d(?:_?\d)*\.?)(?:[eE][+-]?\d(?:_?\d)*)?$/;
const FLOAT_SPECIAL = /^([+-]?)(inf|infinity|nan)$/i;

/** `float(s)`, or null where Python raises ValueError. */
export function pyFloat(s: string): number | null {
  const t = pyStrip(s);
  const special = FLOAT_SPECIAL.exec(t);
  if (special) return special[2].toLowerCase() === "nan" ? NaN : special[1] === "-" ? -Infinity : Infinity;
  return FLOAT_LITERAL.test(t) ? Number(t.replaceAll("_", "")) : null;
}

/** `len(s)`: code points, not UTF-16 units. */
export function pyLen(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}
