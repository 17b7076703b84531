/**
 * ftfy's test for mojibake: a few hundred characters occur in UTF-8 misread as a single-byte
 * encoding, and some sequences of them (an accented lowercase letter then a currency sign,
 * "Ã" then a quotation mark, box drawing next to letters...) almost never occur in real text.
 * Text containing such a sequence "is bad" and worth re-decoding; text without one is left alone.
 */
import { PY_ISSPACE } from "../python-whitespace.js";

// Character classes (bodies of [...] in a /u regex), grouped by how they show up in mojibake.
const C = {
  /** Appear in many contexts: not evidence on their own. */
  common: "\\u00a0\\u00ad\\u00b4\\u00b7\\u2013-\\u2015\\u2019\\u2026",
  /** C1 controls: nothing but mojibake uses them any more. */
  c1: "\\u0080-\\u009f",
  /** Nearly always mojibake. */
  bad: "\\u00a4\\u00a6\\u00a8\\u00aa\\u00ac\\u00af\\u00b8\\u00ba\\u0192\\u02c6\\u02c7\\u02d8\\u02db\\u02dc\\u2020\\u2021\\u2030\\u2310\\u25ca\\ufffd",
  law: "\\u00a7\\u00b6",
  currency: "\\u00a2\\u00a3\\u00a5\\u20a7\\u20ac",
  startPunct: "\\u00a1\\u00a9\\u00ab\\u00bf\\u0384\\u0385\\u2018\\u201a\\u201c\\u201e\\u2022\\u2039\\uf8ff",
  endPunct: "\\u00ae\\u00bb\\u02dd\\u201d\\u203a\\u2122",
  numeric: "\\u00b1-\\u00b3\\u00b5\\u00b9\\u00bc-\\u00be\\u00d7\\u00f7\\u2044\\u2116\\u2202\\u2206\\u220f\\u2211\\u221a\\u221e\\u2229\\u222b\\u2248\\u2260\\u2261\\u2264\\u2265",
  /** Letters emoticons are drawn with: allowed in odd company. */
  kaomoji: "\\u00b0\\u00d2-\\u00d6\\u00d9-\\u00dc\\u00f2-\\u00f6\\u00f8-\\u00fc\\u014c\\u0150\\u016a\\u0172",
  upperAccented:
    "\\u00c0-\\u00d1\\u00d8\\u00dc\\u00dd\\u0100\\u0102\\u0104\\u0106\\u010c\\u010e\\u0110\\u0112\\u0116\\u0118\\u011a\\u011e\\u0122\\u012a\\u0130\\u0136\\u0139\\u013b\\u013d\\u0141\\u0143\\u0145\\u0147\\u0152\\u0158\\u015a\\u015e\\u0160\\u0162\\u0164\\u016e\\u0170\\u0178\\u0179\\u017b\\u017d\\u0490",
  lowerAccented:
    "\\u00df-\\u00f1\\u00fc\\u0101\\u0103\\u0105\\u0107\\u010d\\u010f\\u0111\\u0113\\u0117\\u0119\\u011b\\u011f\\u0123\\u012b\\u012f\\u0137\\u013a\\u013c\\u013e\\u0142\\u0153\\u0155\\u015b\\u015f\\u0161\\u0165\\u017a\\u017c\\u017e\\u0491\\ufb01\\ufb02",
  upperCommon: "\\u00de\\u0386\\u0388-\\u038a\\u038c\\u038e\\u038f\\u0391-\\u03ab\\u0401-\\u042f",
  lowerCommon: "\\u03ac-\\u03c9\\u0430-\\u045f",
  box: "\\u2502\\u250c\\u2510\\u2518\\u251c\\u2524\\u252c\\u253c\\u2550-\\u256c\\u2580\\u2584\\u2588\\u258c\\u2590-\\u2593",
};

const any = (...classes: string[]) => `[${classes.join("")}]`;
const WHITESPACE = `[${PY_ISSPACE}]`;
const WORD = "[\\p{L}\\p{N}_]";

const ARABIC_TAIL = `[${C.common}${C.currency}${C.bad}${C.numeric}${C.startPunct}\\u0178\\u0160\\u00ae\\u00b0\\u00b5\\u00bb]`;

// Each alternative is a juxtaposition that real text almost never has.
const SEQUENCES: string[] = [
  any(C.c1),
  any(C.bad, C.lowerAccented, C.upperAccented, C.box, C.startPunct, C.endPunct, C.currency, C.numeric, C.law) + any(C.bad),
  `[a-zA-Z]${any(C.lowerCommon, C.upperCommon)}${any(C.bad)}`,
  any(C.bad) + any(C.lowerAccented, C.upperAccented, C.box, C.startPunct, C.endPunct, C.currency, C.numeric, C.law),
  any(C.lowerAccented, C.lowerCommon, C.box, C.endPunct, C.currency, C.numeric) + any(C.upperAccented),
  any(C.box, C.endPunct, C.currency, C.numeric) + any(C.lowerAccented),
  any(C.lowerAccented, C.box, C.endPunct) + any(C.currency),
  `${WHITESPACE}${any(C.upperAccented)}${any(C.currency)}`,
  any(C.upperAccented, C.box) + any(C.numeric, C.law),
  any(C.lowerAccented, C.upperAccented, C.box, C.currency, C.endPunct) + any(C.startPunct) + any(C.numeric),
  any(C.lowerAccented, C.upperAccented, C.currency, C.numeric, C.box, C.law) + any(C.endPunct) + any(C.startPunct),
  any(C.currency, C.numeric, C.box) + any(C.startPunct),
  `[a-z]${any(C.upperAccented)}${any(C.startPunct, C.currency)}`,
  any(C.box) + any(C.kaomoji),
  any(C.lowerAccented, C.upperAccented, C.currency, C.numeric, C.startPunct, C.endPunct, C.law) + any(C.box),
  any(C.box) + any(C.endPunct),
  any(C.lowerAccented, C.upperAccented) + any(C.startPunct, C.endPunct) + WORD,
  // The ligature œ not followed by a plain Latin letter; a degree sign after a capital.
  "[\\u0152\\u0153][^A-Za-z]",
  `${any(C.upperAccented)}\\u00b0`,
  // Windows-1252 two-character mojibake the classes above miss.
  `[\\u00c2\\u00c3\\u00ce\\u00d0][\\u20ac\\u0153\\u0160\\u0161\\u00a2\\u00a3\\u0178\\u017e\\u00a0\\u00ad\\u00ae\\u00a9\\u00b0\\u00b7\\u00bb${C.startPunct}${C.endPunct}\\u2013\\u2014\\u00b4]`,
  "\\u00d7[\\u00b2\\u00b3]",
  // Arabic misread as Windows-1252 takes 'common' characters along: four characters needed.
  `[\\u00d8\\u00d9]${ARABIC_TAIL}[\\u00d8\\u00d9]${ARABIC_TAIL}`,
  // Windows-1252: the start of 3-byte South Asian letters.
  "\\u00e0[\\u00b2\\u00b5\\u00b9\\u00bc\\u00bd\\u00be]",
  // MacRoman mojibake.
  "\\u221a[\\u00b1\\u2202\\u2020\\u2260\\u00ae\\u2122\\u00b4\\u2264\\u2265\\u00a5\\u00b5\\u00f8]",
  "\\u2248[\\u00b0\\u00a2]",
  "\\u201a\\u00c4[\\u00ec\\u00ee\\u00ef\\u00f2\\u00f4\\u00fa\\u00f9\\u00fb\\u2020\\u00b0\\u00a2\\u03c0]",
  "\\u201a[\\u00e2\\u00f3][\\u00e0\\u00e4\\u00b0\\u00ea]",
  // Windows-1251 mojibake: of U+2000 punctuation, and (3 characters) of Latin-1 or Cyrillic.
  "\\u0432\\u0402",
  `[\\u0412\\u0413\\u0420\\u0421][${C.c1}${C.bad}${C.startPunct}${C.endPunct}${C.currency}\\u00b0\\u00b5][\\u0412\\u0413\\u0420\\u0421]`,
  "\\u0413\\u045e\\u0412\\u0402\\u0412[^\\n][A-Za-z ]",
  // Windows-1252 of 'à', 'á' and U+00A0 itself.
  "\\u00c3[\\u00a0\\u00a1]",
  `[a-z]${WHITESPACE}?[\\u00c3\\u00c2] `,
  "^[\\u00c3\\u00c2] ",
  // Â standing before the character it doubles.
  `[a-z.,?!${C.endPunct}]\\u00c2[ ${C.startPunct}${C.endPunct}]`,
  // Windows-1253: U+2000 punctuation, and Latin-1 or Greek.
  "\\u03b2\\u20ac[\\u2122\\u00a0\\u0386\\u00ad\\u00ae\\u00b0]",
  `[\\u0392\\u0393\\u039e\\u039f][${C.c1}${C.bad}${C.startPunct}${C.endPunct}${C.currency}\\u00b0][\\u0392\\u0393\\u039e\\u039f]`,
  // Windows-1257: U+2000 punctuation.
  "\\u0101\\u20ac",
];

const BADNESS = new RegExp(SEQUENCES.join("|"), "u");

/** True when `text` holds a character sequence that is almost surely mojibake. */
export function isBad(text: string): boolean {
  return BADNESS.test(text);
}
