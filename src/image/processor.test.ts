import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import sharp from "sharp";
import { ArgumentError, ImageDecodeError } from "../errors.js";
import { centerCrop } from "./crop.js";
import { decodeImage } from "./decode.js";
import { resizeLikePIL } from "./pil-resize.js";
import { CLIPImageProcessor } from "./processor.js";
import { Resampling } from "./resample.js";

const REF = new URL("../../../shared/reference/clip/tiny/", import.meta.url).pathname;
const refSkip = existsSync(REF) ? false : `CLIP reference fixtures absent (${REF}); a fresh clone has no ../shared`;

/**
 * One F32 tensor from a .safetensors file (8-byte LE header length, JSON header, raw LE data).
 * Test-only stand-in until src/io's reader lands.
 */
function readF32(file: string, key: string): { shape: number[]; data: Float32Array } {
  const buf = readFileSync(file);
  const headerLen = Number(buf.readBigUInt64LE(0));
  const entry = JSON.parse(buf.toString("utf8", 8, 8 + headerLen))[key];
  assert.equal(entry?.dtype, "F32", `${file}: ${key} must be F32`);
  const [begin, end] = entry.data_offsets as [number, number];
  const bytes = buf.subarray(8 + headerLen + begin, 8 + headerLen + end);
  const data = new Float32Array(bytes.length / 4);
  for (let i = 0; i < data.length; i++) data[i] = bytes.readFloatLE(i * 4);
  return { shape: entry.shape, data };
}

describe("CLIPImageProcessor", () => {
  it("reproduces the original CLIP preprocessing of the reference images", { skip: refSkip }, async (t) => {
    const names: string[] = JSON.parse(readFileSync(`${REF}expected.json`, "utf8")).images;
    const ref = readF32(`${REF}pixels.safetensors`, "pixel_values");
    assert.deepEqual(ref.shape, [4, 3, 224, 224]);
    const proc = await CLIPImageProcessor.fromPretrained(`${REF}hf`);
    const out = await proc.preprocess(names.map((n) => `${REF}images/${n}`));
    assert.deepEqual(out.shape, [4, 3, 224, 224]);
    const got = out.f32();
    const per = 3 * 224 * 224;
    names.forEach((name, i) => {
      let max = 0;
      let sum = 0;
      for (let j = i * per; j < (i + 1) * per; j++) {
        const d = Math.abs(got[j] - ref.data[j]);
        max = Math.max(max, d);
        sum += d;
      }
      const mean = sum / per;
      t.diagnostic(`${name}: max abs diff ${max.toExponential(2)}, mean abs diff ${mean.toExponential(2)}`);
      if (name.endsWith(".jpg")) {
        // JPEG decoders may differ by a level here and there.
        assert.ok(mean <= 0.01, `${name}: mean abs diff ${mean}`);
      } else {
        // Lossless input and integer resampling: nothing excuses even one 8-bit level (~0.015).
        assert.ok(max <= 1e-6, `${name}: max abs diff ${max}`);
      }
    });
  });

  it("resizes RGBA premultiplied, as PIL does before convert('RGB')", async () => {
    // Opaque red next to a transparent pixel hiding green: premultiplied resizing must not
    // bleed the hidden green into the visible half; resizing the RGB bands alone would.
    const rgba = Buffer.from([255, 0, 0, 255, 0, 255, 0, 0]);
    const png = await sharp(rgba, { raw: { width: 2, height: 1, channels: 4 } }).png().toBuffer();
    const proc = new CLIPImageProcessor({ size: { height: 1, width: 4 }, doCenterCrop: false });
    const img = await proc.prepare(png);
    const greens = [0, 1, 2, 3].map((x) => img.data[x * 3 + 1]);
    assert.deepEqual(greens, [0, 0, 0, 0]);
  });

  it("pads to square with the mean colour before resizing (LLaVA)", async () => {
    const png = await sharp({ create: { width: 40, height: 10, channels: 3, background: { r: 255, g: 255, b: 255 } } }).png().toBuffer();
    // Resize to the padded size itself so that the placement is checked pixel for pixel.
    const proc = new CLIPImageProcessor({ size: { shortestEdge: 40 }, cropSize: { height: 40, width: 40 } }, { padToSquare: true });
    const img = await proc.prepare(png);
    assert.deepEqual([img.width, img.height], [40, 40]);
    // (40 - 10) // 2 = 15 rows of the mean colour (122, 116, 104) above the white band.
    const column = Array.from({ length: 40 }, (_, y) => [...img.data.subarray((y * 40 + 20) * 3, (y * 40 + 20) * 3 + 3)]);
    const want = Array.from({ length: 40 }, (_, y) => (y >= 15 && y < 25 ? [255, 255, 255] : [122, 116, 104]));
    assert.deepEqual(column, want);
    const cropped = await new CLIPImageProcessor({ size: { shortestEdge: 8 }, cropSize: { height: 8, width: 8 } }).prepare(png);
    assert.ok(cropped.data.every((v) => v === 255), "without padding the crop sees only the white image");
  });

  it("normalises (x / 255 - mean) / std in channel-first order", async () => {
    const proc = new CLIPImageProcessor({ doResize: false, doCenterCrop: false, imageMean: [0.5, 0, 1], imageStd: [0.5, 1, 2] });
    const img = { width: 2, height: 1, channels: 3 as const, data: Uint8Array.from([255, 0, 51, 0, 255, 102]) };
    const t = await proc.preprocess([img, await decodeImage(await sharp(Buffer.from(img.data), { raw: { width: 2, height: 1, channels: 3 } }).png().toBuffer())]);
    assert.deepEqual(t.shape, [2, 3, 1, 2]);
    const want = [1, -1, 0, 1, -0.4, -0.3];
    [...t.f32().subarray(0, 6)].forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-6, `${i}: ${v} vs ${want[i]}`));
    assert.deepEqual([...t.f32().subarray(6)], [...t.f32().subarray(0, 6)]);
  });

  it("refuses to batch images of different sizes", async () => {
    const proc = new CLIPImageProcessor({ doCenterCrop: false, size: { shortestEdge: 4 } });
    const a = { width: 4, height: 4, channels: 3 as const, data: new Uint8Array(48) };
    const b = { width: 8, height: 4, channels: 3 as const, data: new Uint8Array(96) };
    await assert.rejects(proc.preprocess([a, b]), (e: unknown) => e instanceof ArgumentError && /image 1 is 8x4, image 0 is 4x4/.test(e.message));
    await assert.rejects(proc.preprocess([]), /no images/);
  });

  it("resizes only the centre crop: the same pixels as resizing whole, for a 3000x3 banner", async () => {
    const width = 3000;
    const data = new Uint8Array(width * 3 * 4);
    for (let i = 0; i < data.length; i++) data[i] = (i * 37) % 251;
    const img = { width, height: 3, channels: 4 as const, data, indexed: false };
    const proc = new CLIPImageProcessor();
    const got = await proc.prepare(img);
    const whole = centerCrop(resizeLikePIL(img, 224000, 224, Resampling.BICUBIC), 224, 224);
    assert.deepEqual([got.width, got.height], [224, 224]);
    for (let i = 0; i < 224 * 224; i++) {
      for (let c = 0; c < 3; c++) assert.equal(got.data[i * 3 + c], whole.data[i * 4 + c], `pixel ${i} channel ${c}`);
    }
  });

  it("preprocesses a 609-byte 20000x2 PNG fast and small, and refuses what cannot be done in bounded memory", async () => {
    const png = await sharp({ create: { width: 20000, height: 2, channels: 3, background: { r: 9, g: 99, b: 199 } } }).png().toBuffer();
    const rss = process.memoryUsage().rss;
    const t0 = performance.now();
    const pixels = await new CLIPImageProcessor().preprocess([png]);
    assert.deepEqual(pixels.shape, [1, 3, 224, 224]);
    assert.ok(performance.now() - t0 < 3000, `took ${performance.now() - t0} ms`);
    assert.ok(process.memoryUsage().rss - rss < 200 * 2 ** 20, "resized 2,240,000 x 224 in full");
    const refused = (e: unknown) => e instanceof ImageDecodeError && e.reason === "too-many-pixels" && e.message.startsWith("<buffer>: too many pixels");
    // Without a crop the whole 2,240,000 x 224 output is asked for; padded, a 20000 x 20000 square.
    await assert.rejects(new CLIPImageProcessor({ doCenterCrop: false }).preprocess([png]), refused);
    await assert.rejects(new CLIPImageProcessor({}, { padToSquare: true }).preprocess([png]), refused);
  });
});
