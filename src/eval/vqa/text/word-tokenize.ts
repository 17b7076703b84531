/**
 * NLTK's `word_tokenize` (3.2.5, the version CHAIR's code pins): the Penn Treebank rules
 * (punctuation split off, clitics such as "'s" and "n't" separated, "cannot" -> "can not")
 * with NLTK's additions for curly quotes, applied per sentence.
 *
 * NLTK finds sentences with its trained Punkt model; here a sentence ends at ".", "?" or "!"
 * (and any closing quotes or brackets) followed by whitespace. They differ only after an
 * abbreviation Punkt knows ("mr. smith" stays one sentence there), and since the Treebank
 * rules split a period off only at a sentence's end, only such tokens ("mr." vs "mr", ".")
 * can come out differently; no object word is one.
 */

type Rule = [RegExp, string];

const STARTING_QUOTES: Rule[] = [
  [/([«“‘])/gu, " $1 "],
  [/^"/u, "``"],
  [/(``)/gu, " $1 "],
  [/([ ([{<])("|'{2})/gu, "$1 `` "],
];

const PUNCTUATION: Rule[] = [
  [/([^.])(\.)([\])}>"'»”’ ]*)\s*$/u, "$1 $2 $3 "],
  [/([:,])([^\d])/gu, " $1 $2"],
  [/([:,])$/u, " $1 "],
  [/\.\.\./gu, " ... "],
  [/[;@#$%&]/gu, " $& "],
  [/([^.])(\.)([\])}>"']*)\s*$/u, "$1 $2$3 "],
  [/[?!]/gu, " $& "],
  [/([^'])' /gu, "$1 ' "],
];

const BRACKETS: Rule = [/[\][(){}<>]/gu, " $& "];
const DOUBLE_DASHES: Rule = [/--/gu, " -- "];

const ENDING_QUOTES: Rule[] = [
  [/([»”’])/gu, " $1 "],
  [/"/gu, " '' "],
  [/(\S)('')/gu, "$1 $2 "],
  [/([^' ])('[sS]|'[mM]|'[dD]|') /gu, "$1 $2 "],
  [/([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) /gu, "$1 $2 "],
];

// Robert MacIntyre's list: words the Treebank writes as two tokens.
const CONTRACTIONS: Rule[] = [
  [/\b(can)(not)\b/giu, " $1 $2 "],
  [/\b(d)('ye)\b/giu, " $1 $2 "],
  [/\b(gim)(me)\b/giu, " $1 $2 "],
  [/\b(gon)(na)\b/giu, " $1 $2 "],
  [/\b(got)(ta)\b/giu, " $1 $2 "],
  [/\b(lem)(me)\b/giu, " $1 $2 "],
  [/\b(mor)('n)\b/giu, " $1 $2 "],
  [/\b(wan)(na)\s/giu, " $1 $2 "],
  [/ ('t)(is)\b/giu, " $1 $2 "],
  [/ ('t)(was)\b/giu, " $1 $2 "],
];

const SENTENCE_END = /(?<=[.?!]["'»”’)\]]*)\s+/u;

function apply(text: string, rules: readonly Rule[]): string {
  return rules.reduce((t, [pattern, replacement]) => t.replace(pattern, replacement), text);
}

/** The Treebank tokens of one sentence. */
export function treebankTokenize(sentence: string): string[] {
  let text = apply(sentence, STARTING_QUOTES);
  text = apply(text, PUNCTUATION);
  text = apply(text, [BRACKETS, DOUBLE_DASHES]);
  text = apply(` ${text} `, ENDING_QUOTES);
  text = apply(text, CONTRACTIONS);
  return text.split(/\s+/u).filter((t) => t !== "");
}

/**
 * Words and punctuation of a text, sentence by sentence.
 *
 * @example
 * wordTokenize("a man's dog, and a cat. two birds.");
 * // ["a", "man", "'s", "dog", ",", "and", "a", "cat", ".", "two", "birds", "."]
 */
export function wordTokenize(text: string): string[] {
  return text
    .trim()
    .split(SENTENCE_END)
    .flatMap((sentence) => (sentence === "" ? [] : treebankTokenize(sentence)));
}
