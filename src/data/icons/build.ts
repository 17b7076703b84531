import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { VlmError } from "../../errors.js";
import { mapLimit } from "../map-limit.js";
import { caption } from "./captions.js";
import { installPackages, PACKAGES } from "./packages.js";
import { renderPng } from "./render.js";
import { readCorpusSources, STYLES, type CorpusItem } from "./sources.js";
import { assignSplits, type Split, verifyHeldOutNames } from "./split.js";

export interface IconCorpusOptions {
  /** Where images/, manifest.jsonl, summary.json and README.md go; default data/icons. */
  out?: string;
  /** Where the npm packages are installed; default data/packages. */
  packagesDir?: string;
  /** Side of the rendered PNGs; default 64 (the emoji-datasource bitmaps are 64 px). */
  size?: number;
  seed?: number;
  /** Default "twitter": the same emoji as the other emoji styles, drawn differently. */
  heldOutStyle?: string;
  /** Default 150. */
  heldOutNames?: number;
  /** Default 0.05. */
  valFraction?: number;
  /** Renders at once; sharp spreads each over its own threads too. Default 4. */
  concurrency?: number;
  log?: (line: string) => void;
  /** After each drawing is rendered (or fails to): how many of how many are done (the CLI draws a bar). */
  onRendered?: (done: number, total: number) => void;
}

export interface ManifestEntry {
  image: string;
  name: string;
  style: string;
  group: string;
  subgroup: string;
  keywords: string[];
  caption: string;
  split: Split;
}

export interface IconCorpusSummary {
  size: number;
  seed: number;
  heldOutStyle: string;
  heldOutNames: string[];
  counts: Record<string, Record<Split | "total", number>>;
  failed: { image: string; error: string }[];
  unmatchedEmoji: Record<string, number>;
  packages: typeof PACKAGES;
}

const SPLITS: readonly Split[] = ["train", "val", "test-style", "test-names"];

function slug(name: string): string {
  return (
    name
      .normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "") || "unnamed"
  );
}

/** Image paths relative to the corpus folder, unique within a style ("-2" on a clash). */
export function imagePaths(items: readonly CorpusItem[]): string[] {
  const used = new Set<string>();
  return items.map((item) => {
    const base = `images/${item.style}/${slug(item.name)}`;
    let path = `${base}.png`;
    for (let n = 2; used.has(path); n++) path = `${base}-${n}.png`;
    used.add(path);
    return path;
  });
}

/**
 * Builds the icon/emoji corpus: installs the pinned packages, renders every drawing to PNG,
 * captions it, splits it (a held-out style, held-out names), and writes `manifest.jsonl`
 * (read it with `openManifest(file, { imageKey: "image", captionKey: "caption" })`),
 * `summary.json` and a README with the licences.
 *
 * @example
 * await buildIconCorpus({ out: "data/icons", size: 64, heldOutStyle: "twitter" });
 */
export async function buildIconCorpus(options: IconCorpusOptions = {}): Promise<IconCorpusSummary> {
  const out = options.out ?? "data/icons";
  const packagesDir = options.packagesDir ?? "data/packages";
  const size = options.size ?? 64;
  const seed = options.seed ?? 0;
  const heldOutStyle = options.heldOutStyle ?? "twitter";
  const log = options.log ?? ((line: string) => console.log(line));
  if (!STYLES.some((s) => s.id === heldOutStyle)) {
    throw new VlmError("E_ARGUMENT", `unknown style "${heldOutStyle}"; styles are ${STYLES.map((s) => s.id).join(", ")}`);
  }

  installPackages(packagesDir, log);
  const { items, unmatched } = readCorpusSources(packagesDir);
  const paths = imagePaths(items);
  await rm(join(out, "images"), { recursive: true, force: true });
  for (const style of STYLES) await mkdir(join(out, "images", style.id), { recursive: true });

  const failed: { image: string; error: string }[] = [];
  const ok: boolean[] = new Array(items.length).fill(false);
  let done = 0;
  await mapLimit(items, options.concurrency ?? 4, async (item, i) => {
    try {
      await renderPng(item.source, size, join(out, paths[i]));
      ok[i] = true;
    } catch (err) {
      failed.push({ image: paths[i], error: (err as Error).message.split("\n")[0] });
    }
    options.onRendered?.(++done, items.length);
  });

  const rendered = items.flatMap((item, i) => (ok[i] ? [{ item, path: paths[i] }] : []));
  const styleOf = new Map(STYLES.map((s) => [s.id, s]));
  const entries = rendered.map(({ item, path }) => {
    const style = styleOf.get(item.style)!;
    return {
      image: path,
      name: item.name,
      style: item.style,
      group: item.group,
      subgroup: item.subgroup,
      keywords: item.keywords,
      caption: caption({ name: item.name, keywords: item.keywords, domain: style.domain, styleLabel: style.label }, seed, path),
      split: "train" as Split,
    } satisfies ManifestEntry;
  });
  const { splits, heldOutNames } = assignSplits(entries, {
    heldOutStyle,
    heldOutNames: options.heldOutNames ?? 150,
    valFraction: options.valFraction ?? 0.05,
    seed,
  });
  entries.forEach((e, k) => (e.split = splits[k]));
  const violations = verifyHeldOutNames(entries, splits);
  if (violations.length > 0) throw new VlmError("E_SPLIT", `held-out names with words unseen in training: ${violations.join("; ")}`);

  const counts: IconCorpusSummary["counts"] = {};
  for (const e of entries) {
    counts[e.style] ??= { train: 0, val: 0, "test-style": 0, "test-names": 0, total: 0 };
    counts[e.style][e.split]++;
    counts[e.style].total++;
  }
  const summary: IconCorpusSummary = {
    size,
    seed,
    heldOutStyle,
    heldOutNames,
    counts,
    failed,
    unmatchedEmoji: Object.fromEntries(unmatched),
    packages: PACKAGES,
  };
  await writeFile(join(out, "manifest.jsonl"), entries.map((e) => JSON.stringify(e)).join("\n") + "\n");
  await writeFile(join(out, "summary.json"), JSON.stringify(summary, null, 2) + "\n");
  await writeFile(join(out, "README.md"), readme(summary));
  log(summaryTable(counts));
  if (failed.length > 0) log(`${failed.length} drawings failed to render (listed in summary.json)`);
  log(`${entries.length} images, ${heldOutNames.length} held-out names; manifest: ${join(out, "manifest.jsonl")}`);
  return summary;
}

/** Per-style counts by split, as a fixed-width table. */
export function summaryTable(counts: IconCorpusSummary["counts"]): string {
  const columns = [...SPLITS, "total"] as const;
  const rows = Object.entries(counts).map(([style, c]) => [style, ...columns.map((k) => String(c[k]))]);
  const totals = ["all", ...columns.map((k) => String(Object.values(counts).reduce((a, c) => a + c[k], 0)))];
  const table = [["style", ...columns], ...rows, totals];
  const widths = table[0].map((_, j) => Math.max(...table.map((r) => r[j].length)));
  return table.map((r) => r.map((cell, j) => (j === 0 ? cell.padEnd(widths[j]) : cell.padStart(widths[j]))).join("  ")).join("\n");
}

function readme(s: IconCorpusSummary): string {
  return `# Icon and emoji corpus

Built by \`npm run data:icons\` (vlmkit, src/data/icons). ${s.size} x ${s.size} PNGs on white,
one line per image in \`manifest.jsonl\`: {image, name, style, group, subgroup, keywords, caption, split}.

Splits (seed ${s.seed}): \`test-style\` is every ${s.heldOutStyle} image; \`test-names\` holds out
${s.heldOutNames.length} names in every style, each made only of words found in training captions;
\`val\` is a small sample of seen names in seen styles; the rest is \`train\`.

\`\`\`
${summaryTable(s.counts)}
\`\`\`

## Licences and attribution

A model trained on this corpus must carry these attributions (its model card lists them).

| package | version | licence | attribution |
| --- | --- | --- | --- |
${s.packages.map((p) => `| ${p.name} | ${p.version} | ${p.licence} | ${p.attribution} |`).join("\n")}

OpenMoji images are CC BY-SA 4.0: derivatives of the images themselves must be shared alike.
`;
}
