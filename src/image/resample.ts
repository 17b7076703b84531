import { ArgumentError } from "../errors.js";
import { copyRegion } from "./crop.js";
import type { PixelImage } from "./types.js";

/**
 * Pillow-compatible resizing (`Image.resize` on 8-bit images), reimplemented from Pillow's
 * src/libImaging/Resample.c and Geometry.c so that CLIP/LLaVA preprocessing reproduces the
 * pixels the reference models were trained and evaluated on, to the last bit.
 *
 * What has to match Pillow exactly, and why it matters:
 * - the filter support grows with the downscale factor (antialiasing), so a 720 -> 338
 *   resize averages ~4.3 source pixels per tap, not 4;
 * - tap windows are `[int(center - support + 0.5), int(center + support + 0.5))`, clamped to
 *   the image, with weights normalised to sum 1 over the clamped window (edges renormalise);
 * - weights are converted to 22-bit fixed point and every pass rounds and clips to uint8,
 *   so the horizontal pass (always first) loses precision before the vertical one.
 */

/** Pillow's `Image.Resampling` numbers, as `preprocessor_config.json` stores them. */
export const Resampling = {
  NEAREST: 0,
  LANCZOS: 1,
  BILINEAR: 2,
  BICUBIC: 3,
  BOX: 4,
  HAMMING: 5,
} as const;
export type ResamplingFilter = (typeof Resampling)[keyof typeof Resampling];

interface Filter {
  weight(x: number): number;
  support: number;
}

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = x * Math.PI;
  return Math.sin(px) / px;
}

// Pillow writes these constants as C floats (0.54f): keep their float32 values.
const HAMMING_A = Math.fround(0.54);
const HAMMING_B = Math.fround(0.46);
const BICUBIC_A = -0.5;

const FILTERS: Record<Exclude<ResamplingFilter, 0>, Filter> = {
  [Resampling.BOX]: { support: 0.5, weight: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0) },
  [Resampling.BILINEAR]: {
    support: 1,
    weight: (x) => {
      const ax = Math.abs(x);
      return ax < 1 ? 1 - ax : 0;
    },
  },
  [Resampling.HAMMING]: {
    support: 1,
    weight: (x) => {
      const ax = Math.abs(x);
      if (ax === 0) return 1;
      if (ax >= 1) return 0;
      const px = ax * Math.PI;
      return (Math.sin(px) / px) * (HAMMING_A + HAMMING_B * Math.cos(px));
    },
  },
  [Resampling.BICUBIC]: {
    support: 2,
    weight: (x) => {
      const ax = Math.abs(x);
      if (ax < 1) return ((BICUBIC_A + 2) * ax - (BICUBIC_A + 3)) * ax * ax + 1;
      if (ax < 2) return (((ax - 5) * ax + 8) * ax - 4) * BICUBIC_A;
      return 0;
    },
  },
  [Resampling.LANCZOS]: { support: 3, weight: (x) => (x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0) },
};

// 32 bits minus 8 for the pixel minus 2 of headroom: negative lobes can push a sum below 0
// or above 1, and the int32 accumulator must not overflow.
const PRECISION_BITS = 32 - 8 - 2;
const ONE = 2 ** PRECISION_BITS;
const HALF = 2 ** (PRECISION_BITS - 1);

interface Coefficients {
  /** Taps reserved per output pixel. */
  ksize: number;
  /** Per output pixel: first source index and number of taps. */
  start: Int32Array;
  count: Int32Array;
  /** Fixed-point weights, `ksize` per output pixel. */
  weights: Int32Array;
}

/** Coefficients of output pixels `from..to-1` of an `inSize` -> `outSize` resize (index 0 is `from`). */
function precompute(inSize: number, outSize: number, filter: Filter, from = 0, to = outSize): Coefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filter.support * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const n = to - from;
  const start = new Int32Array(n);
  const count = new Int32Array(n);
  const weights = new Int32Array(n * ksize);
  const w = new Float64Array(ksize);
  // Pillow multiplies by the reciprocal; dividing would round differently in rare taps.
  const invScale = 1 / filterScale;
  for (let i = 0; i < n; i++) {
    const xx = from + i;
    const center = (xx + 0.5) * scale;
    // C's (int) cast truncates toward zero, which is what Pillow calls rounding here.
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let sum = 0;
    for (let x = 0; x < xmax; x++) {
      w[x] = filter.weight((x + xmin - center + 0.5) * invScale);
      sum += w[x];
    }
    for (let x = 0; x < xmax; x++) {
      const k = sum !== 0 ? w[x] / sum : w[x];
      weights[i * ksize + x] = Math.trunc(k < 0 ? k * ONE - 0.5 : k * ONE + 0.5);
    }
    start[i] = xmin;
    count[i] = xmax;
  }
  return { ksize, start, count, weights };
}

function clip8(acc: number): number {
  // `>>` wraps to int32 first, exactly like Pillow's int accumulator.
  const v = acc >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** Resamples rows `rowOffset..rowOffset+outRows` of `src` horizontally to `c.start.length` columns. */
function horizontal(src: PixelImage, rowOffset: number, outRows: number, c: Coefficients): PixelImage {
  const ch = src.channels;
  const outW = c.start.length;
  const out = new Uint8Array(outW * outRows * ch);
  const acc = new Float64Array(ch);
  for (let y = 0; y < outRows; y++) {
    const rowIn = (y + rowOffset) * src.width * ch;
    const rowOut = y * outW * ch;
    for (let xx = 0; xx < outW; xx++) {
      acc.fill(HALF);
      const k0 = xx * c.ksize;
      const base = rowIn + c.start[xx] * ch;
      for (let x = 0; x < c.count[xx]; x++) {
        const k = c.weights[k0 + x];
        for (let b = 0; b < ch; b++) acc[b] += src.data[base + x * ch + b] * k;
      }
      for (let b = 0; b < ch; b++) out[rowOut + xx * ch + b] = clip8(acc[b]);
    }
  }
  return { width: outW, height: outRows, channels: ch, data: out };
}

/** Resamples `src` vertically; `rowShift` maps source-image rows to rows of `src`. */
function vertical(src: PixelImage, rowShift: number, c: Coefficients): PixelImage {
  const ch = src.channels;
  const outH = c.start.length;
  const stride = src.width * ch;
  const out = new Uint8Array(stride * outH);
  for (let yy = 0; yy < outH; yy++) {
    const k0 = yy * c.ksize;
    const first = (c.start[yy] - rowShift) * stride;
    for (let i = 0; i < stride; i++) {
      let acc = HALF;
      for (let y = 0; y < c.count[yy]; y++) acc += src.data[first + y * stride + i] * c.weights[k0 + y];
      out[yy * stride + i] = clip8(acc);
    }
  }
  return { width: src.width, height: outH, channels: ch, data: out };
}

/** Source index of each output pixel `from..to-1` along one axis, as Pillow's NEAREST finds it; -1 past the edge. */
function nearestIndices(inSize: number, outSize: number, from: number, to: number): Int32Array {
  const step = inSize / outSize;
  const out = new Int32Array(to - from);
  // Pillow accumulates the coordinate step by step, so the window's first value comes from the
  // same sum of steps (float drift included), not from a multiplication.
  let pos = step * 0.5;
  for (let x = 0; x < to; x++, pos += step) {
    if (x >= from) out[x - from] = Math.trunc(pos) < inSize ? Math.trunc(pos) : -1;
  }
  return out;
}

/**
 * Pillow's `NEAREST`: source coordinate `int((x + 0.5) * in / out)`, accumulated step by
 * step as Pillow's affine scaler does (so float drift truncates the same way). A coordinate
 * that drifts past the edge leaves the pixel 0, as Pillow's fill does.
 */
function nearest(src: PixelImage, outW: number, outH: number, win: ResizeWindow): PixelImage {
  const ch = src.channels;
  const xs = nearestIndices(src.width, outW, win.left, win.left + win.width);
  const ys = nearestIndices(src.height, outH, win.top, win.top + win.height);
  const out = new Uint8Array(win.width * win.height * ch);
  for (let y = 0; y < win.height; y++) {
    if (ys[y] < 0) continue;
    const rowIn = ys[y] * src.width * ch;
    for (let x = 0; x < win.width; x++) {
      if (xs[x] < 0) continue;
      for (let b = 0; b < ch; b++) out[(y * win.width + x) * ch + b] = src.data[rowIn + xs[x] * ch + b];
    }
  }
  return { width: win.width, height: win.height, channels: ch, data: out };
}

/** A rectangle of a resize's output, in output pixels. */
export interface ResizeWindow {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * Resizes an 8-bit image exactly as Pillow's `Image.resize(size, filter)` does (any channel
 * count; channels are independent, as in Pillow's RGB/L modes).
 *
 * With `window`, only that rectangle of the output is computed: the same pixels as resizing
 * whole and cropping (every output pixel depends only on its own taps), in memory and time for
 * the window alone. A 20000x2 banner resized to a 224-pixel short side is 2.2 million pixels
 * wide, of which a centre crop keeps 224.
 *
 * @example
 * const small = resizePIL(img, 338, 224, Resampling.BICUBIC);
 * const crop = resizePIL(img, 338, 224, Resampling.BICUBIC, { left: 57, top: 0, width: 224, height: 224 });
 */
export function resizePIL(img: PixelImage, outW: number, outH: number, filter: ResamplingFilter, window?: ResizeWindow): PixelImage {
  for (const [name, v] of [["width", outW], ["height", outH]] as const) {
    if (!Number.isSafeInteger(v) || v < 1) throw new ArgumentError(`resizePIL: output ${name} must be a positive integer, got ${v}`);
  }
  if (img.data.length !== img.width * img.height * img.channels) {
    throw new ArgumentError(
      `resizePIL: ${img.width}x${img.height}x${img.channels} image needs ${img.width * img.height * img.channels} bytes, has ${img.data.length}`,
    );
  }
  const win = window ?? { left: 0, top: 0, width: outW, height: outH };
  const inside = (start: number, size: number, limit: number) =>
    Number.isSafeInteger(start) && Number.isSafeInteger(size) && start >= 0 && size >= 1 && start + size <= limit;
  if (!inside(win.left, win.width, outW) || !inside(win.top, win.height, outH)) {
    throw new ArgumentError(`resizePIL: window ${JSON.stringify(win)} is not inside the ${outW}x${outH} output`);
  }
  if (outW === img.width && outH === img.height) return copyRegion(img, win.left, win.top, win.width, win.height);
  if (filter === Resampling.NEAREST) return nearest(img, outW, outH, win);
  const f = FILTERS[filter];
  if (!f) throw new ArgumentError(`resizePIL: unknown resampling filter ${filter} (Pillow numbers 0-5)`);

  const vert = precompute(img.height, outH, f, win.top, win.top + win.height);
  let cur = img;
  let rowShift = 0;
  if (outW !== img.width || win.width !== outW) {
    // Only the source rows the vertical pass will read are resampled horizontally.
    const firstRow = outH === img.height ? win.top : vert.start[0];
    const last = win.height - 1;
    const lastRow = outH === img.height ? win.top + win.height : vert.start[last] + vert.count[last];
    cur = horizontal(img, firstRow, lastRow - firstRow, precompute(img.width, outW, f, win.left, win.left + win.width));
    rowShift = firstRow;
  }
  if (outH !== img.height) cur = vertical(cur, rowShift, vert);
  return cur;
}

/** Pillow's `Image.resize(size, Image.BICUBIC)`, the resampling of CLIP's preprocessing. */
export function resizeBicubicPIL(img: PixelImage, outW: number, outH: number): PixelImage {
  return resizePIL(img, outW, outH, Resampling.BICUBIC);
}

/** Pillow's `Image.resize(size, Image.BILINEAR)`. */
export function resizeBilinearPIL(img: PixelImage, outW: number, outH: number): PixelImage {
  return resizePIL(img, outW, outH, Resampling.BILINEAR);
}

/** Pillow's `Image.resize(size, Image.NEAREST)`. */
export function resizeNearestPIL(img: PixelImage, outW: number, outH: number): PixelImage {
  return resizePIL(img, outW, outH, Resampling.NEAREST);
}
