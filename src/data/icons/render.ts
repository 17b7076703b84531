import sharp, { type Color, type Sharp } from "sharp";
import type { ImageSource } from "./sources.js";

const WHITE = { r: 255, g: 255, b: 255, alpha: 1 };
const TRANSPARENT = { r: 0, g: 0, b: 0, alpha: 0 };

/**
 * A drawing fitted into `size` x `size`, centred, padded with `background` (transparent by
 * default; sharp pads after it flattens, so a flattened render must pad with its own colour).
 */
export async function openDrawing(source: ImageSource, size: number, background: Color = TRANSPARENT): Promise<Sharp> {
  let image: Sharp;
  if (source.kind === "svg") {
    // librsvg wants the document to start at <svg> (Lucide puts a licence comment first).
    const svg = Buffer.from(source.svg.slice(Math.max(0, source.svg.indexOf("<svg"))));
    const { width = size, height = size } = await sharp(svg).metadata();
    // Render at the target size rather than scaling a 24 px raster up; the pixel limit is
    // ours to choose here, since the density is.
    const density = Math.min(100000, (72 * size) / Math.max(width, height));
    image = sharp(svg, { density, limitInputPixels: false });
  } else {
    image = sharp(source.path);
  }
  return image.resize(size, size, { fit: "contain", background });
}

/**
 * Renders one corpus image to a `size` x `size` PNG on white: emoji and icons are drawn on
 * transparency, and decoding drops alpha (as PIL's convert("RGB") does), which would put
 * them on whatever colour the transparent pixels hide, usually black.
 */
export async function renderPng(source: ImageSource, size: number, out: string): Promise<void> {
  await (await openDrawing(source, size, WHITE)).flatten({ background: WHITE }).png().toFile(out);
}
