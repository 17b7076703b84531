import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import sharp from "sharp";
import { decodeImage, decodeSource, dropAlpha } from "./decode.js";
import { CLIPImageProcessor } from "./processor.js";

// Made by scripts/make_cmyk_fixtures.py with Debian's Pillow 9.4 (see there for what each holds).
const DIR = new URL("../../test/fixtures/images/", import.meta.url).pathname;
const expected: Record<string, { width: number; height: number; rgb: string; clip: string; clipSize: number }> = JSON.parse(
  readFileSync(`${DIR}cmyk.json`, "utf8"),
);

function maxDifference(a: Uint8Array, b: Uint8Array): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

describe("CMYK JPEGs decode as Pillow decodes them", () => {
  for (const [name, want] of Object.entries(expected)) {
    const file = `${DIR}${name}`;

    it(`${name}: convert("RGB") pixels equal Pillow's (difference 0)`, async () => {
      const img = await decodeImage(file);
      assert.deepEqual([img.width, img.height], [want.width, want.height]);
      assert.equal(maxDifference(img.data, Buffer.from(want.rgb, "base64")), 0);
    });

    it(`${name}: the original CLIP preprocessing (resize in CMYK, crop, RGB) equals Pillow's`, async () => {
      const proc = new CLIPImageProcessor({ size: { shortestEdge: want.clipSize }, cropSize: { width: want.clipSize, height: want.clipSize } });
      const img = await proc.prepare(file);
      assert.equal(maxDifference(img.data, Buffer.from(want.clip, "base64")), 0);
    });
  }

  it("reads the file with the Adobe marker and the one without alike, and avoids libvips' colour profile", async () => {
    const adobe = readFileSync(`${DIR}cmyk_adobe.jpg`);
    const plain = readFileSync(`${DIR}cmyk_plain.jpg`);
    assert.ok(adobe.includes("Adobe") && !plain.includes("Adobe"), "fixtures with and without the APP14 marker");
    const [da, dp] = await Promise.all([decodeSource(adobe), decodeSource(plain)]);
    assert.equal(da.cmyk, true);
    assert.deepEqual(da.data, dp.data);
    // libvips' own CMYK -> sRGB goes through a profile, far from Pillow's arithmetic.
    const viaProfile = await sharp(adobe).toColourspace("srgb").raw().toBuffer();
    assert.ok(maxDifference(viaProfile, Buffer.from(expected["cmyk_adobe.jpg"].rgb, "base64")) > 20);
  });

  it("converts with Pillow's rounding at the extremes", () => {
    // C, M, Y, K -> R, G, B; nk - round(c * nk / 255) with Pillow's MULDIV255.
    const cases: [number[], number[]][] = [
      [[0, 0, 0, 0], [255, 255, 255]],
      [[255, 255, 255, 0], [0, 0, 0]],
      [[0, 0, 0, 255], [0, 0, 0]],
      [[10, 200, 30, 60], [187, 42, 172]],
      [[128, 127, 1, 1], [127, 127, 253]],
    ];
    for (const [cmyk, rgb] of cases) {
      const out = dropAlpha({ width: 1, height: 1, channels: 4, data: Uint8Array.from(cmyk), cmyk: true });
      assert.deepEqual([...out.data], rgb, `CMYK ${cmyk}`);
    }
  });
});
