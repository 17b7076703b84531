import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OPENAI_CLIP_MEAN } from "./config.js";
import { padToSquare } from "./pad.js";
import type { DecodedImage } from "./types.js";

const rgb = (width: number, height: number, value: number): DecodedImage => ({
  width,
  height,
  channels: 3,
  data: new Uint8Array(width * height * 3).fill(value),
});

describe("padToSquare", () => {
  const bg = [122, 116, 104]; // int(mean * 255) for the CLIP mean, truncated as LLaVA does

  it("pastes a wide image at top (W - H) // 2 on the mean colour", () => {
    const out = padToSquare(rgb(4, 1, 255), OPENAI_CLIP_MEAN);
    assert.deepEqual([out.width, out.height], [4, 4]);
    const rows = [0, 1, 2, 3].map((y) => [...out.data.subarray(y * 12, y * 12 + 3)]);
    assert.deepEqual(rows, [bg, [255, 255, 255], bg, bg]); // (4 - 1) // 2 = 1
  });

  it("pastes a tall image at left (H - W) // 2", () => {
    const out = padToSquare(rgb(2, 5, 7), OPENAI_CLIP_MEAN);
    assert.deepEqual([out.width, out.height], [5, 5]);
    const first = [0, 1, 2, 3, 4].map((x) => out.data[x * 3]);
    assert.deepEqual(first, [bg[0], 7, 7, bg[0], bg[0]]);
  });

  it("leaves a square image alone", () => {
    const img = rgb(3, 3, 9);
    assert.equal(padToSquare(img, OPENAI_CLIP_MEAN), img);
  });
});
