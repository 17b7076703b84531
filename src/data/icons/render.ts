import sharp from "sharp";
import type { ImageSource } from "./sources.js";

const WHITE = { r: 255, g: 255, b: 255, alpha: 1 };

/**
 * Renders one corpus image to a `size` x `size` PNG on white: emoji and icons are drawn on
 * transparency, and decoding drops alpha (as PIL's convert("RGB") does), which would put
 * them on whatever colour the transparent pixels hide, usually black.
 */
export async function renderPng(source: ImageSource, size: number, out: string): Promise<void> {
  let image: ReturnType<typeof sharp>;
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
  await image
    .resize(size, size, { fit: "contain", background: WHITE })
    .flatten({ background: WHITE })
    .png()
    .toFile(out);
}
