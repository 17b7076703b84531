import sharp from "sharp";
import { backgroundPixels } from "./background.js";
import type { Drawing } from "./layout.js";
import type { Background } from "./scene.js";
import type { StyleSprites } from "./sprites.js";

const rgb = ([r, g, b]: readonly number[]): string => `rgb(${r},${g},${b})`;

/** The items as one SVG on transparency, in drawing order (later items on top). */
export function itemsSvg(drawings: readonly Drawing[], sprites: StyleSprites, size: number): string {
  const parts = drawings.map((d) => {
    if (d.kind === "emoji") {
      const [x0, y0, x1, y1] = d.box;
      return `<image x="${x0}" y="${y0}" width="${x1 - x0}" height="${y1 - y0}" href="${sprites.get(d.name)}"/>`;
    }
    if (d.kind === "circle") return `<circle cx="${d.cx}" cy="${d.cy}" r="${d.r}" fill="${rgb(d.fill)}"/>`;
    return `<polygon points="${d.points.map(([x, y]) => `${x},${y}`).join(" ")}" fill="${rgb(d.fill)}"/>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}">${parts.join("")}</svg>`;
}

/**
 * One scene as a PNG. The background is computed here in TypeScript (librsvg's turbulence
 * filter costs ~25 ms a scene, the lattice noise below ~1 ms); the items are one SVG
 * composited on top, so each scene is a single sharp pipeline.
 */
export async function renderScene(background: Background, drawings: readonly Drawing[], sprites: StyleSprites, size: number): Promise<Buffer> {
  return sharp(backgroundPixels(background, size), { raw: { width: size, height: size, channels: 3 } })
    .composite([{ input: Buffer.from(itemsSvg(drawings, sprites, size)) }])
    .png()
    .toBuffer();
}
