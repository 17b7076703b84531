import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import sharp from "sharp";
import { ImageDecodeError, NotFoundError } from "../errors.js";
import { decodeImage, decodeSource } from "./decode.js";

const IMAGES = new URL("../../../shared/reference/clip/tiny/images/", import.meta.url).pathname;
const haveFixtures = existsSync(IMAGES);
const fixtureSkip = haveFixtures ? false : `reference images absent (${IMAGES}); a fresh clone has no ../shared`;

/** A solid-colour RGB image encoded as `format`. */
function solid(width: number, height: number, format: "png" | "jpeg"): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 200, g: 40, b: 90 } } })
    .toFormat(format)
    .toBuffer();
}

async function rejectsDecode(input: string | Buffer, reason: ImageDecodeError["reason"], file: string): Promise<ImageDecodeError> {
  const err = await decodeImage(input).then(
    () => assert.fail(`expected ${reason} error`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ImageDecodeError, `not an ImageDecodeError: ${err}`);
  assert.equal(err.reason, reason, err.message);
  assert.equal(err.code, "E_IMAGE_DECODE");
  assert.ok(err.message.startsWith(`${file}: `), err.message);
  assert.ok(!err.message.includes("\n"), "one line");
  return err;
}

describe("decodeImage", () => {
  let dir = "";
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "vlmkit-image-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("drops alpha without compositing (RGBA fixture)", { skip: fixtureSkip }, async () => {
    const file = join(IMAGES, "gradient_tall_rgba.png");
    const { data: rgba, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
    assert.equal(info.channels, 4);
    const alphas = new Set<number>();
    for (let i = 3; i < rgba.length; i += 4) alphas.add(rgba[i]);
    assert.ok([...alphas].some((a) => a < 255), "fixture must be partly transparent for this test to mean anything");
    const img = await decodeImage(file);
    assert.deepEqual([img.width, img.height, img.channels], [180, 300, 3]);
    for (let i = 0; i < img.width * img.height; i++) {
      for (let c = 0; c < 3; c++) assert.equal(img.data[3 * i + c], rgba[4 * i + c], `pixel ${i} channel ${c}`);
    }
  });

  it("keeps alpha in decodeSource for PIL-mode resizing", { skip: fixtureSkip }, async () => {
    const src = await decodeSource(join(IMAGES, "gradient_tall_rgba.png"));
    assert.equal(src.channels, 4);
    assert.equal(src.indexed, false);
  });

  it("expands greyscale to three equal channels", async () => {
    const grey = await sharp(Buffer.from([0, 17, 128, 255, 3, 90]), { raw: { width: 3, height: 2, channels: 1 } }).png().toBuffer();
    const img = await decodeImage(grey);
    assert.deepEqual([...img.data], [0, 0, 0, 17, 17, 17, 128, 128, 128, 255, 255, 255, 3, 3, 3, 90, 90, 90]);
  });

  it("drops alpha of a transparent pixel instead of blending it", async () => {
    const png = await sharp(Buffer.from([200, 10, 10, 0, 1, 2, 3, 128]), { raw: { width: 2, height: 1, channels: 4 } }).png().toBuffer();
    assert.deepEqual([...(await decodeImage(png)).data], [200, 10, 10, 1, 2, 3]);
  });

  it("applies EXIF orientation", async () => {
    const raw = await sharp({ create: { width: 40, height: 20, channels: 3, background: "white" } }).jpeg().toBuffer();
    const rotated = await sharp(raw).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    assert.equal((await sharp(rotated).metadata()).orientation, 6);
    const img = await decodeImage(rotated);
    assert.deepEqual([img.width, img.height], [20, 40]);
  });

  it("flags palette images, which PIL resizes with NEAREST", async () => {
    const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: "red" } }).png({ palette: true }).toBuffer();
    assert.equal((await decodeSource(png)).indexed, true);
    assert.equal((await decodeSource(await solid(4, 4, "png"))).indexed, false);
  });

  it("reads SVG, also with text before the <svg> tag", async () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="30" height="10"><rect width="30" height="10" fill="#00ff00"/></svg>';
    for (const text of [svg, `\uFEFF<?xml version="1.0"?>\n<!-- exported -->\n${svg}`, `<html><body>${svg}</body></html>`]) {
      const img = await decodeImage(Buffer.from(text));
      assert.deepEqual([img.width, img.height], [30, 10]);
      assert.deepEqual([...img.data.subarray(0, 3)], [0, 255, 0]);
    }
  });

  it("refuses a missing file with NotFoundError", async () => {
    const file = join(dir, "nope.png");
    await assert.rejects(decodeImage(file), (e: unknown) => e instanceof NotFoundError && e.message.includes(file));
  });

  it("refuses bytes that are not an image", async () => {
    const file = join(dir, "notes.png");
    await writeFile(file, "just some text, not a PNG\n");
    await rejectsDecode(file, "not-an-image", file);
    await rejectsDecode(Buffer.alloc(0), "not-an-image", "<buffer>");
  });

  it("refuses a truncated JPEG instead of returning grey rows", async () => {
    // Noise, so that 60% of the file is well inside the scan data with intact headers: the
    // case libjpeg only warns about and sharp with failOn "none" decodes without a word.
    const noise = Buffer.alloc(256 * 256 * 3);
    let seed = 12345;
    for (let i = 0; i < noise.length; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      noise[i] = seed >>> 24;
    }
    const jpeg = await sharp(noise, { raw: { width: 256, height: 256, channels: 3 } }).jpeg().toBuffer();
    assert.equal((await decodeImage(jpeg)).width, 256, "the whole file decodes");
    const cut = jpeg.subarray(0, Math.floor(jpeg.length * 0.6));
    assert.equal((await sharp(cut, { failOn: "none" }).raw().toBuffer()).length, 256 * 256 * 3, "silently decodable cut");
    const file = join(dir, "cut.jpg");
    await writeFile(file, cut);
    const err = await rejectsDecode(file, "truncated", file);
    assert.match(err.message, /truncated/);
  });

  it("tells a PNG with a broken checksum (corrupt) from one cut short (truncated), also when decoded alongside other bad files", async () => {
    const png = await solid(32, 32, "png");
    const badChecksum = Buffer.from(png);
    badChecksum.fill(0x41, 40, 70);
    const cutPng = png.subarray(0, png.length >> 1);
    const jpeg = await solid(32, 32, "jpeg");
    const cutJpeg = jpeg.subarray(0, jpeg.length >> 1);
    await rejectsDecode(badChecksum, "corrupt", "<buffer>");
    await rejectsDecode(cutPng, "truncated", "<buffer>");
    // libvips keeps one error buffer for all threads, so no reason may hang on another decode's text.
    const rounds = Array.from({ length: 25 }, () =>
      Promise.all([
        rejectsDecode(badChecksum, "corrupt", "<buffer>"),
        rejectsDecode(cutJpeg, "truncated", "<buffer>"),
        rejectsDecode(Buffer.from("just some text"), "not-an-image", "<buffer>"),
      ]),
    );
    await Promise.all(rounds);
  });

  it("refuses a 20000x20000 PNG from its header, fast and without allocating it", async () => {
    const png = await sharp({
      create: { width: 20000, height: 20000, channels: 3, background: { r: 10, g: 200, b: 30 } },
      limitInputPixels: false,
    })
      .png({ compressionLevel: 9 })
      .toBuffer();
    const file = join(dir, "bomb.png");
    await writeFile(file, png);
    const rssBefore = process.memoryUsage().rss;
    const t0 = performance.now();
    const err = await rejectsDecode(file, "too-many-pixels", file);
    const ms = performance.now() - t0;
    const grownMB = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
    assert.match(err.message, /too many pixels \(limit 178956970/);
    assert.ok(ms < 1000, `took ${ms.toFixed(0)} ms`);
    // Decoding would need 20000 * 20000 * 3 bytes = 1.1 GB.
    assert.ok(grownMB < 100, `rss grew by ${grownMB.toFixed(0)} MB`);
  });

  it("honours a custom maxPixels", async () => {
    const png = await solid(100, 100, "png");
    await decodeImage(png, { maxPixels: 10000 });
    const err = await decodeImage(png, { maxPixels: 9999 }).catch((e: unknown) => e);
    assert.ok(err instanceof ImageDecodeError && err.reason === "too-many-pixels");
    await assert.rejects(decodeImage(png, { maxPixels: 0 }), /maxPixels must be a positive integer/);
  });
});
