import { mapLimit } from "../map-limit.js";
import { openDrawing } from "../icons/render.js";
import { normalizeHexcode, readEmojiArt, STYLES } from "../icons/sources.js";
import type { SceneVocabulary } from "./vocabulary.js";

/** Each object's drawing in one style, as a PNG data URI for the scene SVG. */
export type StyleSprites = ReadonlyMap<string, string>;

export interface SpriteSet {
  /** Styles that draw every object of the vocabulary, by style id. */
  styles: Map<string, StyleSprites>;
  /** Emoji styles left out because they lack some objects, with the objects they lack. */
  incomplete: Record<string, string[]>;
}

/**
 * Sprites are drawn once at this size and scaled down into each scene: the largest item is
 * 92 px, and 64 px bitmap styles (Noto, Twemoji) are scaled up to it like any other.
 */
export const SPRITE_SIZE = 128;

/**
 * Draws every vocabulary object in every emoji style (or in those listed) installed under
 * `packagesDir` (the icon corpus's packages: `vlm data build icons` installs them).
 */
export async function loadSprites(packagesDir: string, vocab: SceneVocabulary, only?: readonly string[]): Promise<SpriteSet> {
  const art = readEmojiArt(packagesDir, only);
  const styles = new Map<string, StyleSprites>();
  const incomplete: Record<string, string[]> = {};
  for (const style of STYLES.filter((s) => s.domain === "emoji" && art.has(s.id))) {
    const sources = art.get(style.id);
    const missing = vocab.objects.filter((o) => !sources?.has(normalizeHexcode(o.hexcode))).map((o) => o.name);
    if (missing.length > 0) {
      incomplete[style.id] = missing;
      continue;
    }
    const uris = await mapLimit(vocab.objects, 4, async (o) => {
      const png = await (await openDrawing(sources!.get(normalizeHexcode(o.hexcode))!, SPRITE_SIZE)).png().toBuffer();
      return `data:image/png;base64,${png.toString("base64")}`;
    });
    styles.set(style.id, new Map(vocab.objects.map((o, k) => [o.name, uris[k]])));
  }
  return { styles, incomplete };
}
