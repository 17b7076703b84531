import { Generator } from "../../tensor/random.js";
import { mixSeed } from "../seed.js";

export interface CaptionInput {
  name: string;
  keywords: readonly string[];
  domain: "emoji" | "icon";
  /** The style as captions call it: "Noto", "line", ... */
  styleLabel: string;
}

// {a} and {as} are the articles for {name} and {style}; {keyword} and {keyword2} are drawn
// from the keywords. Templates that need more keywords than an item has are not drawn for it.
const TEMPLATES: Record<CaptionInput["domain"], readonly string[]> = {
  emoji: [
    "an emoji of {a} {name}",
    "{name} emoji",
    "{a} {name}",
    "{as} {style} emoji of {name}",
    "{as} {style} drawing of {name}, {keyword}",
    "{name}, {keyword}",
    "an emoji showing {name}: {keyword}, {keyword2}",
  ],
  icon: [
    "{name} icon",
    "an icon of {a} {name}",
    "{as} {style} icon of {name}",
    "{as} {style} drawing of {name}, {keyword}",
    "{name} symbol, {keyword}",
    "a pictogram of {a} {name}",
    "{name} icon: {keyword}, {keyword2}",
  ],
};

export function article(word: string): "a" | "an" {
  return /^[aeiou]/i.test(word) ? "an" : "a";
}

function keywordsNeeded(template: string): number {
  return template.includes("{keyword2}") ? 2 : template.includes("{keyword}") ? 1 : 0;
}

/** A seed from a string (an item's path), so a caption does not depend on list order. */
export function stringSeed(seed: number, text: string): number {
  const codes: number[] = [];
  for (const ch of text) codes.push(ch.codePointAt(0)!);
  return mixSeed(seed, ...codes);
}

/**
 * One caption for an item, from a template drawn with a generator seeded by (seed, id): the
 * same corpus build gives the same captions, and phrasings vary across items.
 *
 * @example
 * caption({ name: "house", keywords: ["home"], domain: "icon", styleLabel: "line" }, 0, "lucide/house");
 * // e.g. "a line drawing of house, home"
 */
export function caption(item: CaptionInput, seed: number, id: string): string {
  const g = new Generator(stringSeed(seed, id));
  const usable = TEMPLATES[item.domain].filter((t) => keywordsNeeded(t) <= item.keywords.length);
  const template = usable[g.int(usable.length)];
  const first = item.keywords.length > 0 ? g.int(item.keywords.length) : 0;
  const second = item.keywords.length > 1 ? (first + 1 + g.int(item.keywords.length - 1)) % item.keywords.length : 0;
  return template
    .replace("{a}", article(item.name))
    .replace("{name}", item.name)
    .replace("{as}", article(item.styleLabel))
    .replace("{style}", item.styleLabel)
    .replace("{keyword2}", item.keywords[second] ?? "")
    .replace("{keyword}", item.keywords[first] ?? "");
}
