import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ArgumentError } from "../errors.js";
import { Resampling, type ResamplingFilter, resizeBicubicPIL, resizeBilinearPIL, resizeNearestPIL, resizePIL } from "./resample.js";
import type { PixelImage } from "./types.js";

const row = (values: number[]): PixelImage => ({ width: values.length, height: 1, channels: 1, data: Uint8Array.from(values) });
const column = (values: number[]): PixelImage => ({ width: 1, height: values.length, channels: 1, data: Uint8Array.from(values) });

describe("resizePIL", () => {
  // Expected values worked out by hand from Pillow's Resample.c (see comments).
  it("bicubic downscale widens the filter by the scale factor (antialias)", () => {
    // 4 -> 2: support 2 * 2 = 4, taps at (x - 1 + 0.5) / 2 = -0.25, 0.25, 0.75, 1.25 with weights
    // 0.867, 0.867, 0.227, -0.070 (sum 1.891): 255 * 0.156 / 1.891 = 21.07. Without antialias
    // the taps would be -0.5, 0.5, 1.5 and the result clipped to 0.
    assert.deepEqual([...resizeBicubicPIL(row([0, 0, 255, 255]), 2, 1).data], [21, 234]);
    assert.deepEqual([...resizeBicubicPIL(column([0, 0, 255, 255]), 1, 2).data], [21, 234]);
  });

  it("bilinear upscale clamps windows at the edges and renormalises", () => {
    // centres 0.25, 0.75, 1.25, 1.75: the outer ones see a single source pixel;
    // 255 * 0.25 = 63.75 rounds to 64.
    assert.deepEqual([...resizeBilinearPIL(row([0, 255]), 4, 1).data], [0, 64, 191, 255]);
  });

  it("nearest samples at int((x + 0.5) * in / out)", () => {
    assert.deepEqual([...resizeNearestPIL(row([10, 20, 30, 40]), 2, 1).data], [20, 40]);
    assert.deepEqual([...resizeNearestPIL(row([10, 20]), 4, 1).data], [10, 10, 20, 20]);
    assert.deepEqual([...resizeNearestPIL(row([10, 20, 30]), 2, 1).data], [10, 30]);
  });

  it("keeps a constant image constant with every filter, channels independent", () => {
    const n = 7 * 5;
    const data = new Uint8Array(n * 3);
    for (let i = 0; i < n; i++) data.set([3, 128, 250], i * 3);
    const img: PixelImage = { width: 7, height: 5, channels: 3, data };
    for (const f of Object.values(Resampling) as ResamplingFilter[]) {
      for (const [w, h] of [[3, 2], [16, 11], [7, 9]]) {
        const out = resizePIL(img, w, h, f);
        assert.equal(out.data.length, w * h * 3);
        for (let i = 0; i < w * h; i++) assert.deepEqual([...out.data.subarray(i * 3, i * 3 + 3)], [3, 128, 250], `filter ${f} ${w}x${h}`);
      }
    }
  });

  it("clips overshoot of the negative lobes to 0..255", () => {
    // A hard edge upscaled with bicubic rings below 0 and above 255 before clipping.
    const out = resizeBicubicPIL(row([0, 0, 255, 255]), 16, 1).data;
    assert.ok(out.includes(0) && out.includes(255));
    assert.ok([...out].every((v, i) => i === 0 || v >= out[i - 1]), `monotone after clipping: ${out}`);
  });

  it("returns a copy at the same size", () => {
    const img = row([1, 2, 3]);
    const out = resizeBicubicPIL(img, 3, 1);
    assert.deepEqual([...out.data], [1, 2, 3]);
    assert.notEqual(out.data, img.data);
  });

  it("computes a window of the output exactly as resizing whole and cropping", () => {
    const width = 23;
    const height = 17;
    const data = new Uint8Array(width * height * 3);
    let seed = 7;
    for (let i = 0; i < data.length; i++) data[i] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
    const img: PixelImage = { width, height, channels: 3, data };
    const crop = (full: PixelImage, l: number, t: number, w: number, h: number) => {
      const out: number[] = [];
      for (let y = t; y < t + h; y++) out.push(...full.data.subarray((y * full.width + l) * 3, (y * full.width + l + w) * 3));
      return out;
    };
    for (const f of Object.values(Resampling) as ResamplingFilter[]) {
      // Down, up, one axis unchanged, both unchanged.
      for (const [w, h] of [[9, 6], [61, 40], [23, 40], [9, 17], [23, 17]]) {
        const full = resizePIL(img, w, h, f);
        for (const [l, t, ww, hh] of [[0, 0, w, h], [1, 2, w - 2, h - 3], [w - 1, h - 1, 1, 1], [Math.floor(w / 3), 0, 3, h]]) {
          const part = resizePIL(img, w, h, f, { left: l, top: t, width: ww, height: hh });
          assert.deepEqual([part.width, part.height], [ww, hh]);
          assert.deepEqual([...part.data], crop(full, l, t, ww, hh), `filter ${f} ${w}x${h} window ${l},${t} ${ww}x${hh}`);
        }
      }
    }
    assert.throws(() => resizePIL(img, 9, 6, Resampling.BICUBIC, { left: 5, top: 0, width: 5, height: 6 }), /not inside the 9x6 output/);
  });

  it("resizes an extreme aspect ratio in the memory of its window", () => {
    // 60000x1 to a 224-pixel short side is 13,440,000 x 224 (3 GB as RGB): only the window is made.
    const img: PixelImage = { width: 60000, height: 1, channels: 3, data: new Uint8Array(60000 * 3).fill(77) };
    const out = resizePIL(img, 13_440_000, 224, Resampling.BICUBIC, { left: 6_719_888, top: 0, width: 224, height: 224 });
    assert.equal(out.data.length, 224 * 224 * 3);
    assert.ok(out.data.every((v) => v === 77));
  });

  it("rejects bad sizes and buffers", () => {
    assert.throws(() => resizeBicubicPIL(row([1, 2]), 0, 1), ArgumentError);
    assert.throws(() => resizeBicubicPIL(row([1, 2]), 1.5, 1), /positive integer/);
    assert.throws(() => resizeBicubicPIL({ width: 2, height: 2, channels: 3, data: new Uint8Array(5) }, 1, 1), /needs 12 bytes/);
    assert.throws(() => resizePIL(row([1, 2]), 1, 1, 9 as ResamplingFilter), /unknown resampling filter 9/);
  });
});
