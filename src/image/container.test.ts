import assert from "node:assert/strict";
import { describe, it } from "node:test";
import sharp from "sharp";
import { containerFormat, isCutShort } from "./container.js";

const encode = (format: "png" | "jpeg" | "gif" | "webp") =>
  sharp({ create: { width: 24, height: 16, channels: 3, background: { r: 10, g: 120, b: 240 } } })
    .toFormat(format)
    .toBuffer();

describe("image container", () => {
  for (const format of ["png", "jpeg", "gif", "webp"] as const) {
    it(`recognises ${format} and tells a whole file from one cut short`, async () => {
      const bytes = await encode(format);
      assert.equal(containerFormat(bytes), format);
      assert.equal(isCutShort(format, bytes), false);
      assert.equal(isCutShort(format, bytes.subarray(0, bytes.length - 20)), true);
      assert.equal(isCutShort(format, bytes.subarray(0, bytes.length >> 1)), true);
    });
  }

  it("accepts a few bytes of padding after the end marker", async () => {
    const png = await encode("png");
    assert.equal(isCutShort("png", Buffer.concat([png, Buffer.alloc(4)])), false);
  });

  it("knows no format in text, empty or too-short input", () => {
    for (const bytes of [Buffer.from("just some text"), Buffer.alloc(0), Buffer.from([0x89, 0x50]), Buffer.from("RIFF")]) {
      assert.equal(containerFormat(bytes), null);
    }
  });
});
