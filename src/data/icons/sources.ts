import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { VlmError } from "../../errors.js";
import { readJson } from "../../io/json.js";

/** An image to render: a bitmap file, or SVG text. */
export type ImageSource = { kind: "file"; path: string } | { kind: "svg"; svg: string };

/** One drawing of one named thing in one art style, with its labels, before captioning. */
export interface CorpusItem {
  style: string;
  /** Lower case, words separated by spaces: the same thing has the same name in every style. */
  name: string;
  group: string;
  subgroup: string;
  keywords: string[];
  source: ImageSource;
}

export interface StyleInfo {
  id: string;
  domain: "emoji" | "icon";
  /** How captions call the style ("a Noto emoji of ..."). */
  label: string;
  package: string;
}

export const STYLES: readonly StyleInfo[] = [
  { id: "google", domain: "emoji", label: "Noto", package: "emoji-datasource-google" },
  { id: "twitter", domain: "emoji", label: "Twemoji", package: "emoji-datasource-twitter" },
  { id: "openmoji", domain: "emoji", label: "OpenMoji", package: "openmoji" },
  { id: "fluent", domain: "emoji", label: "Fluent", package: "@iconify-json/fluent-emoji-flat" },
  { id: "fluent-color", domain: "emoji", label: "Fluent color", package: "@iconify-json/fluent-emoji" },
  { id: "noto-v1", domain: "emoji", label: "old Noto", package: "@iconify-json/noto-v1" },
  { id: "emojione", domain: "emoji", label: "EmojiOne", package: "@iconify-json/emojione" },
  { id: "emojione-v1", domain: "emoji", label: "EmojiOne v1", package: "@iconify-json/emojione-v1" },
  { id: "fluent-mono", domain: "emoji", label: "high-contrast Fluent", package: "@iconify-json/fluent-emoji-high-contrast" },
  { id: "emojione-mono", domain: "emoji", label: "monotone EmojiOne", package: "@iconify-json/emojione-monotone" },
  { id: "streamline", domain: "emoji", label: "Streamline", package: "@iconify-json/streamline-emojis" },
  { id: "fa-solid", domain: "icon", label: "solid", package: "@fortawesome/fontawesome-free" },
  { id: "fa-regular", domain: "icon", label: "outline", package: "@fortawesome/fontawesome-free" },
  { id: "fa-brands", domain: "icon", label: "logo", package: "@fortawesome/fontawesome-free" },
  { id: "lucide", domain: "icon", label: "line", package: "lucide-static" },
];

/** Code points as the packages spell them, made comparable: upper case, no variation selector FE0F. */
export function normalizeHexcode(hex: string): string {
  return hex
    .toUpperCase()
    .split(/[-_ ]/)
    .filter((p) => p !== "FE0F" && p !== "")
    .join("-");
}

/** "flag: Egypt" -> "flag of egypt", "keycap: 1" -> "keycap, 1", "Face-Grin" -> "face grin". */
export function normalizeName(label: string): string {
  return label
    .replace(/^flag: /i, "flag of ")
    .replace(/: /g, ", ")
    .replace(/[-_]/g, " ")
    .replace(/\s+/g, " ")
    .trim()
    .toLowerCase();
}

function keywordList(name: string, ...lists: (readonly string[] | undefined)[]): string[] {
  const seen = new Set<string>([name]);
  const out: string[] = [];
  for (const list of lists) {
    for (const raw of list ?? []) {
      const k = normalizeName(raw);
      if (k && !seen.has(k)) {
        seen.add(k);
        out.push(k);
      }
    }
  }
  return out;
}

/** The fields of emojibase-data's `en/data.json` that the corpus uses. */
export interface EmojibaseEntry {
  label: string;
  hexcode: string;
  tags?: string[];
  group?: number;
  subgroup?: number;
}

export interface EmojibaseGroups {
  groups: Record<string, string>;
  subgroups: Record<string, string>;
}

/**
 * Joins emoji art to Emojibase labels by code point. Every style gets the Emojibase name, so
 * "grinning face" is one class across every emoji style. Skin-tone variants
 * (Emojibase lists them under `skins`, not at the top level) and the "component" group (bare
 * skin-tone and hair swatches) are left out; art without an Emojibase entry is counted, not used.
 */
export function joinEmoji(
  emojibase: readonly EmojibaseEntry[],
  groups: EmojibaseGroups,
  shortcodes: Record<string, string | string[]>,
  art: ReadonlyMap<string, ReadonlyMap<string, ImageSource>>,
): { items: CorpusItem[]; unmatched: Map<string, number> } {
  const items: CorpusItem[] = [];
  const matched = new Map<string, Set<string>>();
  for (const entry of emojibase) {
    if (entry.group === undefined) continue;
    const group = groups.groups[String(entry.group)] ?? "";
    if (group === "component") continue;
    const subgroup = entry.subgroup === undefined ? "" : (groups.subgroups[String(entry.subgroup)] ?? "");
    const key = normalizeHexcode(entry.hexcode);
    const name = normalizeName(entry.label);
    const codes = shortcodes[entry.hexcode];
    const keywords = keywordList(name, typeof codes === "string" ? [codes] : codes, entry.tags);
    for (const [style, images] of art) {
      const source = images.get(key);
      if (!source) continue;
      items.push({ style, name, group, subgroup, keywords, source });
      if (!matched.has(style)) matched.set(style, new Set());
      matched.get(style)!.add(key);
    }
  }
  const unmatched = new Map<string, number>();
  for (const [style, images] of art) unmatched.set(style, images.size - (matched.get(style)?.size ?? 0));
  return { items, unmatched };
}

/** The fields of Font Awesome's `metadata/icon-families.json` that the corpus uses. */
export interface FontAwesomeIcon {
  label: string;
  search?: { terms?: string[] };
  svgs?: Record<string, Record<string, { raw: string }>>;
}

/**
 * Parses Font Awesome's `categories.yml`, which has one fixed shape (`name:`, `  icons:`,
 * `    - icon`, `  label: Text`). Anything else throws, so a format change fails loudly
 * rather than silently losing the groups.
 */
export function parseFontAwesomeCategories(yaml: string, file = "categories.yml"): Map<string, string> {
  const groupOf = new Map<string, string>();
  let icons: string[] = [];
  yaml.split(/\r?\n/).forEach((line, i) => {
    let m: RegExpExecArray | null;
    if (line.trim() === "" || /^[\w-]+:$/.test(line) || /^ {2}icons:$/.test(line)) return;
    if ((m = /^ {4}- (.+)$/.exec(line))) icons.push(m[1].trim());
    else if ((m = /^ {2}label: (.+)$/.exec(line))) {
      const label = m[1].trim().replace(/^['"]|['"]$/g, "");
      for (const icon of icons) if (!groupOf.has(icon)) groupOf.set(icon, normalizeName(label));
      icons = [];
    } else throw new VlmError("E_FILE_FORMAT", `${file}:${i + 1}: unexpected line ${JSON.stringify(line)}`);
  });
  return groupOf;
}

/** Font Awesome Free: one item per icon and style (solid, regular, brands), named by its label. */
export function fontAwesomeItems(icons: Record<string, FontAwesomeIcon>, groupOf: ReadonlyMap<string, string>): CorpusItem[] {
  const items: CorpusItem[] = [];
  for (const [id, icon] of Object.entries(icons)) {
    const name = normalizeName(icon.label);
    const keywords = keywordList(name, [id], icon.search?.terms);
    for (const [style, svg] of Object.entries(icon.svgs?.classic ?? {})) {
      items.push({ style: `fa-${style}`, name, group: groupOf.get(id) ?? (style === "brands" ? "brands" : ""), subgroup: "", keywords, source: { kind: "svg", svg: svg.raw } });
    }
  }
  return items;
}

/**
 * Lucide: the names in `tags.json` are the canonical icons; the icons/ folder also holds
 * deprecated aliases (same drawing, old name), which would teach two names for one picture.
 */
export function lucideItems(tags: Record<string, string[]>, svgOf: (name: string) => string | null): CorpusItem[] {
  const items: CorpusItem[] = [];
  for (const [id, words] of Object.entries(tags)) {
    const svg = svgOf(id);
    if (svg === null) continue;
    const name = normalizeName(id);
    items.push({ style: "lucide", name, group: "", subgroup: "", keywords: keywordList(name, words), source: { kind: "svg", svg } });
  }
  return items;
}

/** The file's JSON, taken to have the shape the package documents. */
function readJsonAs<T>(file: string): T {
  return readJson(file) as T;
}

/** Emojibase's label as Iconify spells icon names: "flag: Japan" -> "flag-japan". */
export function iconifySlug(label: string): string {
  return label
    .toLowerCase()
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
}

/**
 * An Iconify JSON emoji set: SVG bodies on a shared viewBox, found by code point through the
 * set's chars.json when it lists any, else by name (`hexBySlug`, from Emojibase's labels; names
 * that match no label, such as skin-tone variants, are left out).
 */
function iconifyArt(dir: string, hexBySlug: ReadonlyMap<string, string>): Map<string, ImageSource> {
  const set = readJsonAs<{ icons: Record<string, { body: string; width?: number; height?: number }>; aliases?: Record<string, { parent: string }>; width?: number; height?: number }>(join(dir, "icons.json"));
  const charsFile = join(dir, "chars.json");
  const chars = existsSync(charsFile) ? Object.entries(readJsonAs<Record<string, string>>(charsFile)) : [];
  const hexOf = chars.length > 0 ? chars : Object.keys(set.icons).flatMap((name) => (hexBySlug.has(name) ? [[hexBySlug.get(name)!, name] as [string, string]] : []));
  const art = new Map<string, ImageSource>();
  for (const [hex, iconName] of hexOf) {
    const icon = set.icons[iconName] ?? set.icons[set.aliases?.[iconName]?.parent ?? ""];
    if (!icon) continue;
    const w = icon.width ?? set.width ?? 16;
    const h = icon.height ?? set.height ?? 16;
    art.set(normalizeHexcode(hex), { kind: "svg", svg: `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}">${icon.body}</svg>` });
  }
  return art;
}

/** emoji-datasource: one 64 px PNG per emoji (the sheets hold the same art). */
function datasourceArt(dir: string, vendor: "google" | "twitter"): Map<string, ImageSource> {
  const entries = readJsonAs<{ unified: string; image: string; [k: string]: unknown }[]>(join(dir, "emoji.json"));
  const art = new Map<string, ImageSource>();
  for (const e of entries) {
    if (e[`has_img_${vendor}`] === true) art.set(normalizeHexcode(e.unified), { kind: "file", path: join(dir, "img", vendor, "64", e.image) });
  }
  return art;
}

function openmojiArt(dir: string): Map<string, ImageSource> {
  const folder = join(dir, "color", "svg");
  const art = new Map<string, ImageSource>();
  for (const file of readdirSync(folder)) {
    if (file.endsWith(".svg")) art.set(normalizeHexcode(file.slice(0, -4)), { kind: "file", path: join(folder, file) });
  }
  return art;
}

function readEmojibase(nm: string): EmojibaseEntry[] {
  return readJsonAs<EmojibaseEntry[]>(join(nm, "emojibase-data", "en", "data.json"));
}

function emojiArtOf(nm: string, emojibase: readonly EmojibaseEntry[], wanted: (style: string) => boolean = () => true): Map<string, Map<string, ImageSource>> {
  const hexBySlug = new Map(emojibase.map((e) => [iconifySlug(e.label), e.hexcode]));
  // Every Iconify emoji set in STYLES is read the same way, in STYLES order.
  const iconifySets = STYLES.filter((s) => s.package.startsWith("@iconify-json/"));
  const readers: [string, () => Map<string, ImageSource>][] = [
    ["google", () => datasourceArt(join(nm, "emoji-datasource-google"), "google")],
    ["twitter", () => datasourceArt(join(nm, "emoji-datasource-twitter"), "twitter")],
    ["openmoji", () => openmojiArt(join(nm, "openmoji"))],
    ...iconifySets.map((s): [string, () => Map<string, ImageSource>] => [s.id, () => iconifyArt(join(nm, s.package), hexBySlug)]),
  ];
  return new Map(readers.filter(([style]) => wanted(style)).map(([style, read]) => [style, read()]));
}

/**
 * The emoji art of the emoji styles (all, or those listed), by style id and then by code point
 * (`normalizeHexcode`), without the icon sets or the Emojibase join: what drawings of known
 * emoji need. Listing styles saves parsing the others (Fluent color's set is 100 MB of JSON).
 */
export function readEmojiArt(packagesDir: string, styles?: readonly string[]): Map<string, Map<string, ImageSource>> {
  const nm = join(packagesDir, "node_modules");
  return emojiArtOf(nm, readEmojibase(nm), styles ? (style) => styles.includes(style) : undefined);
}

/** Reads every installed package under `<packagesDir>/node_modules` into corpus items. */
export function readCorpusSources(packagesDir: string): { items: CorpusItem[]; unmatched: Map<string, number> } {
  const nm = join(packagesDir, "node_modules");
  const base = join(nm, "emojibase-data");
  const emojibase = readEmojibase(nm);
  const art = emojiArtOf(nm, emojibase);
  const emoji = joinEmoji(
    emojibase,
    readJsonAs<EmojibaseGroups>(join(base, "meta", "groups.json")),
    readJsonAs<Record<string, string | string[]>>(join(base, "en", "shortcodes", "iamcal.json")),
    art,
  );
  const fa = join(nm, "@fortawesome/fontawesome-free", "metadata");
  const faItems = fontAwesomeItems(
    readJsonAs<Record<string, FontAwesomeIcon>>(join(fa, "icon-families.json")),
    parseFontAwesomeCategories(readFileSync(join(fa, "categories.yml"), "utf8"), join(fa, "categories.yml")),
  );
  const lucide = join(nm, "lucide-static");
  const lucideSvg = (name: string): string | null => {
    try {
      return readFileSync(join(lucide, "icons", `${name}.svg`), "utf8");
    } catch {
      return null;
    }
  };
  return { items: [...emoji.items, ...faItems, ...lucideItems(readJsonAs(join(lucide, "tags.json")), lucideSvg)], unmatched: emoji.unmatched };
}
