import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { centerCrop, pythonRound } from "./crop.js";
import type { PixelImage } from "./types.js";

/** A 1-channel image whose pixel value is its row * 10 + column. */
function grid(width: number, height: number): PixelImage {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = y * 10 + x;
  return { width, height, channels: 1, data };
}

describe("pythonRound", () => {
  it("rounds halves to even, like Python 3", () => {
    const cases: [number, number][] = [[0.5, 0], [1.5, 2], [2.5, 2], [74.5, 74], [75.5, 76], [2.4, 2], [2.6, 3], [3, 3]];
    for (const [x, want] of cases) assert.equal(pythonRound(x), want, `round(${x})`);
  });
});

describe("centerCrop", () => {
  it("starts at int(round((H - h) / 2)) with banker's rounding", () => {
    // H - h = 3 -> round(1.5) = 2 (floor division would give 1); W - w = 5 -> round(2.5) = 2.
    const out = centerCrop(grid(7, 5), 2, 2);
    assert.deepEqual([...out.data], [22, 23, 32, 33]);
    // H - h = 1 -> round(0.5) = 0.
    assert.deepEqual([...centerCrop(grid(1, 3), 1, 2).data], [0, 10]);
  });

  it("centres a smaller image on zero padding, as torchvision pads before cropping", () => {
    // 1 x 2 into 4 x 3: left pad (4 - 1) // 2 = 1, top pad (3 - 2) // 2 = 0.
    const img: PixelImage = { width: 1, height: 2, channels: 1, data: Uint8Array.from([7, 9]) };
    assert.deepEqual([...centerCrop(img, 4, 3).data], [0, 7, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0]);
  });

  it("keeps channels interleaved", () => {
    const img: PixelImage = { width: 3, height: 1, channels: 3, data: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]) };
    assert.deepEqual([...centerCrop(img, 1, 1).data], [4, 5, 6]);
  });

  it("rejects a bad size", () => {
    assert.throws(() => centerCrop(grid(3, 3), 0, 2), /width must be a positive integer/);
  });
});
