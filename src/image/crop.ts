import { ArgumentError } from "../errors.js";
import type { ResizeWindow } from "./resample.js";
import type { PixelImage } from "./types.js";

/** Python 3's `round()`: halves go to the even neighbour (round(74.5) == 74, round(75.5) == 76). */
export function pythonRound(x: number): number {
  const f = Math.floor(x);
  const frac = x - f;
  if (frac !== 0.5) return Math.round(x);
  return f % 2 === 0 ? f : f + 1;
}

// Offset of the crop window along one axis, and where the source lands when it is smaller.
function axis(size: number, crop: number): { from: number; to: number } {
  // torchvision pads a too-small image first ((crop - size) // 2 before), then crops at 0.
  if (crop > size) return { from: 0, to: Math.floor((crop - size) / 2) };
  return { from: pythonRound((size - crop) / 2), to: 0 };
}

/**
 * torchvision's `CenterCrop` (used by the original CLIP): the window starts at
 * `int(round((H - h) / 2))` with Python's round; an image smaller than the crop is centred on
 * black (zero) padding. Hugging Face uses `(H - h) // 2`, which differs only when
 * `H - h` leaves a remainder of 3 modulo 4; CLIP's checkpoints were trained with this one.
 *
 * @example
 * centerCrop(img, 224, 224); // 224x373 -> rows 74..297
 */
export function centerCrop(img: PixelImage, width: number, height: number): PixelImage {
  for (const [name, v] of [["width", width], ["height", height]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new ArgumentError(`centerCrop: ${name} must be a positive integer, got ${v}`);
  }
  const ch = img.channels;
  const x = axis(img.width, width);
  const y = axis(img.height, height);
  const copyW = Math.min(width, img.width);
  const copyH = Math.min(height, img.height);
  const out = new Uint8Array(width * height * ch);
  for (let r = 0; r < copyH; r++) {
    const src = ((y.from + r) * img.width + x.from) * ch;
    out.set(img.data.subarray(src, src + copyW * ch), ((y.to + r) * width + x.to) * ch);
  }
  return { width, height, channels: ch, data: out };
}

/**
 * The part of a `width` x `height` image that `centerCrop(img, cropWidth, cropHeight)` keeps
 * (all of an axis shorter than the crop). Resizing only this window and then centre-cropping
 * it gives the same pixels as resizing whole and cropping.
 *
 * @example
 * centerCropWindow(224, 373, 224, 224); // { left: 0, top: 74, width: 224, height: 224 }
 */
export function centerCropWindow(width: number, height: number, cropWidth: number, cropHeight: number): ResizeWindow {
  const x = axis(width, cropWidth);
  const y = axis(height, cropHeight);
  return { left: x.from, top: y.from, width: Math.min(width, cropWidth), height: Math.min(height, cropHeight) };
}

/** The `width` x `height` rectangle of `img` at (`left`, `top`), copied; `img`'s other fields (flags) carry over. */
export function copyRegion<T extends PixelImage>(img: T, left: number, top: number, width: number, height: number): T {
  const ch = img.channels;
  const out = new Uint8Array(width * height * ch);
  for (let r = 0; r < height; r++) {
    const from = ((top + r) * img.width + left) * ch;
    out.set(img.data.subarray(from, from + width * ch), r * width * ch);
  }
  return { ...img, width, height, data: out };
}
