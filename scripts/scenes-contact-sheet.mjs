#!/usr/bin/env node
// node scripts/scenes-contact-sheet.mjs [--data data/scenes] [--out assets/scenes/contact-sheet.png]
// The README's picture of the scene data: six training scenes in six different emoji styles,
// then two scenes of the held-out Twemoji test split, as one 4 x 2 grid.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import sharp from "sharp";

const { values } = parseArgs({
  options: {
    data: { type: "string", default: "data/scenes" },
    out: { type: "string", default: "assets/scenes/contact-sheet.png" },
  },
});
const scenes = readFileSync(join(values.data, "scenes.jsonl"), "utf8").trim().split("\n").map((line) => JSON.parse(line));
const styles = new Set();
const train = scenes.filter((s) => s.split === "train" && s.items.length >= 3 && !styles.has(s.style) && styles.add(s.style)).slice(0, 6);
const test = scenes.filter((s) => s.split === "test-style" && s.items.length >= 3).slice(0, 2);
const tile = 256;
const gap = 4;
const picked = [...train, ...test];
await sharp({ create: { width: 4 * tile + 3 * gap, height: 2 * tile + gap, channels: 3, background: "#ffffff" } })
  .composite(picked.map((s, i) => ({ input: join(values.data, "images", s.image), left: (i % 4) * (tile + gap), top: Math.floor(i / 4) * (tile + gap) })))
  .png({ compressionLevel: 9, palette: true, quality: 90 })
  .toFile(values.out);
console.log(`${values.out}: ${picked.map((s) => `${s.id} (${s.style})`).join(", ")}`);
