/**
 * ftfy's `fix_text` with its default settings (ftfy 6.3), which openai/CLIP applies to every
 * caption before tokenising, so that vlmkit's token ids match the original's on real text.
 */
import { fixC1Controls, fixEncoding } from "./mojibake.js";
import {
  fixCharacterWidth,
  fixLatinLigatures,
  fixLineBreaks,
  fixSurrogates,
  removeControlChars,
  removeTerminalEscapes,
  uncurlQuotes,
  unescapeHtml,
} from "./fixes.js";

// Lines longer than this are fixed in pieces, bounding the cost of the mojibake search.
const MAX_SEGMENT = 1_000_000;

// The order ftfy applies them after HTML and encoding fixes.
const FIXERS = [
  fixC1Controls,
  fixLatinLigatures,
  fixCharacterWidth,
  uncurlQuotes,
  fixLineBreaks,
  fixSurrogates,
  removeTerminalEscapes,
  removeControlChars,
];

/** One segment, every fix repeated until the text stops changing (so "&amp;amp;" ends as "&"). */
function fixSegment(text: string, entities: boolean): string {
  for (;;) {
    const before = text;
    if (entities) text = unescapeHtml(text);
    text = fixEncoding(text);
    for (const fix of FIXERS) text = fix(text);
    text = text.normalize("NFC");
    if (text === before) return text;
  }
}

/**
 * Fixes glitches in text the way ftfy's `fix_text()` does by default: mojibake re-decoded
 * ("cafÃ©" -> "café"), HTML entities decoded unless the text has a "<" (then it is HTML and
 * its entities are meant), Latin ligatures split, fullwidth forms narrowed, curly quotes
 * straightened, line breaks made LF, lone surrogates replaced, terminal escapes and stray
 * control characters (the byte-order mark among them) removed, and NFC normalisation. Each
 * line is fixed on its own, as lines may come from different sources.
 *
 * @example
 * fixText("â€œcafÃ©â€\u009d ﬁnds ＡＢＣ！"); // '"café" finds ABC!'
 */
export function fixText(text: string): string {
  let entities = true;
  let out = "";
  for (let pos = 0; pos < text.length; ) {
    let end = text.indexOf("\n", pos) + 1 || text.length;
    if (end - pos > MAX_SEGMENT) end = pos + MAX_SEGMENT;
    const segment = text.slice(pos, end);
    // Once one line looks like HTML, its entities are taken as meant, for the rest of the text too.
    if (segment.includes("<")) entities = false;
    out += fixSegment(segment, entities);
    pos = end;
  }
  return out;
}
