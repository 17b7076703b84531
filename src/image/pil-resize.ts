import { Resampling, type ResamplingFilter, type ResizeWindow, resizePIL } from "./resample.js";
import type { PixelImage } from "./types.js";

/** An image as `resizeLikePIL` accepts it: RGB, RGBA or CMYK, optionally flagged as palette-based. */
export type ResizableImage = PixelImage & { indexed?: boolean; cmyk?: boolean };

// PIL's RGBA -> RGBa: c * a / 255, rounded with its MULDIV255 trick.
function premultiply(img: PixelImage): PixelImage {
  const out = new Uint8Array(img.data.length);
  for (let i = 0; i < img.data.length; i += 4) {
    const a = img.data[i + 3];
    for (let c = 0; c < 3; c++) {
      const t = img.data[i + c] * a + 128;
      out[i + c] = ((t >> 8) + t) >> 8;
    }
    out[i + 3] = a;
  }
  return { ...img, data: out };
}

// PIL's RGBa -> RGBA: truncating division, clipped; alpha 0 and 255 pass colours through.
function unpremultiply(img: PixelImage): PixelImage {
  const out = new Uint8Array(img.data.length);
  for (let i = 0; i < img.data.length; i += 4) {
    const a = img.data[i + 3];
    for (let c = 0; c < 3; c++) {
      const v = img.data[i + c];
      out[i + c] = a === 0 || a === 255 ? v : Math.min(255, Math.trunc((255 * v) / a));
    }
    out[i + 3] = a;
  }
  return { ...img, data: out };
}

/**
 * Python-level `PIL.Image.resize` on an image in its own mode, which is what the original
 * CLIP preprocessing does (it resizes before `convert("RGB")`):
 * - palette and 1-bit images ("P", "1") are always resized with NEAREST;
 * - RGBA images are resized premultiplied by alpha ("RGBa") and unpremultiplied after, so
 *   transparent pixels do not bleed their hidden colour into visible neighbours;
 * - CMYK images are resized channel by channel and stay CMYK.
 * Hugging Face's `CLIPImageProcessor` converts to RGB first and so differs on such images.
 * `window` computes only that part of the output (see `resizePIL`).
 */
export function resizeLikePIL(
  img: ResizableImage, outW: number, outH: number, filter: ResamplingFilter, window?: ResizeWindow,
): ResizableImage {
  if (img.indexed) return resizePIL(img, outW, outH, Resampling.NEAREST, window);
  // PIL resizes CMYK channel by channel, with no alpha to premultiply; the result stays CMYK.
  if (img.cmyk) return { ...resizePIL(img, outW, outH, filter, window), cmyk: true };
  const sameSize = outW === img.width && outH === img.height;
  if (img.channels !== 4 || filter === Resampling.NEAREST || sameSize) return resizePIL(img, outW, outH, filter, window);
  return unpremultiply(resizePIL(premultiply(img), outW, outH, filter, window));
}
