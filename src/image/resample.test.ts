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

  it("rejects bad sizes and buffers", () => {
    assert.throws(() => resizeBicubicPIL(row([1, 2]), 0, 1), ArgumentError);
    assert.throws(() => resizeBicubicPIL(row([1, 2]), 1.5, 1), /positive integer/);
    assert.throws(() => resizeBicubicPIL({ width: 2, height: 2, channels: 3, data: new Uint8Array(5) }, 1, 1), /needs 12 bytes/);
    assert.throws(() => resizePIL(row([1, 2]), 1, 1, 9 as ResamplingFilter), /unknown resampling filter 9/);
  });
});
