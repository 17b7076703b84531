import type { DecodedImage } from "./types.js";

/**
 * LLaVA's `expand2square`: the image pasted onto a square canvas of its longer side, offset
 * by `(long - short) // 2`, so that the later centre crop keeps the whole picture. The
 * background is the processor's mean colour as LLaVA computes it, `int(mean * 255)` per
 * channel (truncated), which normalises to about zero. LLaVA pads after `convert("RGB")`,
 * so this takes RGB only.
 *
 * @example
 * padToSquare(img, [0.48145466, 0.4578275, 0.40821073]); // 640x480 -> 640x640
 */
export function padToSquare(img: DecodedImage, mean: readonly [number, number, number]): DecodedImage {
  const { width, height, channels: ch } = img;
  if (width === height) return img;
  const side = Math.max(width, height);
  const fill = mean.map((m) => Math.trunc(m * 255));
  const out = new Uint8Array(side * side * ch);
  for (let i = 0; i < side * side; i++) for (let c = 0; c < ch; c++) out[i * ch + c] = fill[c];
  const left = width < side ? Math.floor((side - width) / 2) : 0;
  const top = height < side ? Math.floor((side - height) / 2) : 0;
  for (let r = 0; r < height; r++) {
    out.set(img.data.subarray(r * width * ch, (r + 1) * width * ch), ((top + r) * side + left) * ch);
  }
  return { width: side, height: side, channels: ch, data: out };
}
