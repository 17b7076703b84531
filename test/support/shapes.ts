/**
 * A synthetic image-caption dataset CLIP can learn in a few dozen steps: coloured shapes on a
 * white background, captioned "a red circle". Test support: the trainer's and the evaluations'
 * tests train on it in seconds.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { Generator } from "../../src/tensor/index.js";

export const SHAPE_COLORS = { red: "#e02020", green: "#20a020", blue: "#2040e0", yellow: "#e0c000" } as const;
export const SHAPES = ["circle", "square", "triangle"] as const;

function shapeSvg(shape: (typeof SHAPES)[number], color: string, size: number, g: Generator): string {
  const r = size * (0.28 + 0.12 * g.uniform());
  const cx = size / 2 + (g.uniform() - 0.5) * (size - 2 * r);
  const cy = size / 2 + (g.uniform() - 0.5) * (size - 2 * r);
  const body =
    shape === "circle" ? `<circle cx="${cx}" cy="${cy}" r="${r}" fill="${color}"/>`
    : shape === "square" ? `<rect x="${cx - r}" y="${cy - r}" width="${2 * r}" height="${2 * r}" fill="${color}"/>`
    : `<polygon points="${cx},${cy - r} ${cx + r},${cy + r} ${cx - r},${cy + r}" fill="${color}"/>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}"><rect width="100%" height="100%" fill="white"/>${body}</svg>`;
}

export interface ShapesOptions {
  /** Images in all; default 48 (4 per class). */
  count?: number;
  /** Side in pixels; default 32. */
  size?: number;
  seed?: number;
  /** Every Nth image goes to split "val"; default 4. */
  valEvery?: number;
}

/**
 * Writes `dir/images/*.png` and `dir/manifest.jsonl` (fields image, caption, name, split) and
 * returns the manifest's path. Classes cycle, so every class has images in both splits.
 *
 * @example
 * const manifest = await writeShapesDataset("/tmp/shapes", { count: 48 });
 * await trainClip({ data: manifest, split: "train", evalSplit: "val", modelConfig: "tiny", out: "/tmp/run" });
 */
export async function writeShapesDataset(dir: string, options: ShapesOptions = {}): Promise<string> {
  const { count = 48, size = 32, seed = 0, valEvery = 4 } = options;
  const g = new Generator(seed);
  const classes = Object.entries(SHAPE_COLORS).flatMap(([color, hex]) => SHAPES.map((shape) => ({ color, hex, shape })));
  mkdirSync(join(dir, "images"), { recursive: true });
  const rows: string[] = [];
  for (let i = 0; i < count; i++) {
    const c = classes[i % classes.length];
    const image = `images/${String(i).padStart(4, "0")}-${c.color}-${c.shape}.png`;
    await sharp(Buffer.from(shapeSvg(c.shape, c.hex, size, g))).png().toFile(join(dir, image));
    const name = `${c.color} ${c.shape}`;
    const split = Math.floor(i / classes.length) % valEvery === valEvery - 1 ? "val" : "train";
    rows.push(JSON.stringify({ image, caption: `a ${name}`, name, split }));
  }
  const manifest = join(dir, "manifest.jsonl");
  writeFileSync(manifest, `${rows.join("\n")}\n`);
  return manifest;
}
