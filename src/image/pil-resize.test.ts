import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { resizeLikePIL } from "./pil-resize.js";
import { Resampling } from "./resample.js";

describe("resizeLikePIL", () => {
  it("round-trips RGBA through PIL's premultiplied RGBa, with its truncations", () => {
    // 100 * 128 / 255 -> 50 (MULDIV255), 255 * 50 / 128 -> 99 (truncated): PIL's own loss.
    const px = [100, 50, 0, 128];
    const img = { width: 2, height: 1, channels: 4, data: Uint8Array.from([...px, ...px]) };
    const out = resizeLikePIL(img, 3, 1, Resampling.BICUBIC);
    assert.deepEqual([...out.data], [99, 49, 0, 128, 99, 49, 0, 128, 99, 49, 0, 128]);
  });

  it("resizes palette images with NEAREST whatever filter is asked for", () => {
    const img = { width: 2, height: 1, channels: 3, data: Uint8Array.from([0, 0, 0, 255, 255, 255]), indexed: true };
    assert.deepEqual([...resizeLikePIL(img, 4, 1, Resampling.BICUBIC).data], [0, 0, 0, 0, 0, 0, 255, 255, 255, 255, 255, 255]);
    const blended = resizeLikePIL({ ...img, indexed: false }, 4, 1, Resampling.BICUBIC).data;
    assert.ok(blended.some((v) => v !== 0 && v !== 255), "an RGB image is interpolated");
  });
});
