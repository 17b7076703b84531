import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, open, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import sharp from "sharp";
import { ImageDecodeError } from "../errors.js";
import { sniffImageFormat } from "./container.js";
import { decodeImage } from "./decode.js";
import { DEFAULT_MAX_BYTES, readImageFile } from "./read.js";

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

async function rejectsWith(promise: Promise<unknown>, reason: ImageDecodeError["reason"], pattern: RegExp): Promise<void> {
  const err = await promise.then(
    () => assert.fail(`expected ${reason}`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ImageDecodeError, String(err));
  assert.equal(err.reason, reason, err.message);
  assert.match(err.message, pattern);
}

describe("readImageFile", () => {
  let dir = "";
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "vlmkit-read-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("knows each supported format from its first bytes", async () => {
    const solid = sharp({ create: { width: 4, height: 4, channels: 3, background: "red" } });
    for (const format of ["png", "jpeg", "gif", "webp", "tiff", "avif"] as const) {
      const bytes = await solid.clone().toFormat(format).toBuffer();
      assert.equal(sniffImageFormat(bytes), format === "avif" ? "heif" : format, format);
    }
    assert.equal(sniffImageFormat(Buffer.from('\uFEFF  <?xml version="1.0"?><svg/>')), "svg");
    for (const text of ["", "hello", "\0\0\0\0\0\0\0\0", "P6\n4 4\n255\n"]) assert.equal(sniffImageFormat(Buffer.from(text)), null, text);
  });

  it("refuses /dev/zero from its first bytes, without reading on", { skip: !existsSync("/dev/zero") && "no /dev/zero" }, async () => {
    const t0 = performance.now();
    await rejectsWith(decodeImage("/dev/zero"), "not-an-image", /^\/dev\/zero: not an image: the first bytes/);
    assert.ok(performance.now() - t0 < 1000);
  });

  it("refuses a file over the size cap from its size, before reading it", async () => {
    // Sparse: a 600 MB file that takes no disk space, with a PNG signature so only the cap stops it.
    const file = join(dir, "huge.png");
    const handle = await open(file, "w");
    await handle.write(PNG_SIGNATURE, 0, PNG_SIGNATURE.length, 0);
    await handle.truncate(DEFAULT_MAX_BYTES + 100 * 2 ** 20);
    await handle.close();
    const rss = process.memoryUsage().rss;
    await rejectsWith(decodeImage(file), "too-large", /file too large: 641728512 bytes, the limit is 536870912 \(see maxBytes\)/);
    assert.ok(process.memoryUsage().rss - rss < 50 * 2 ** 20, "nothing was read");
  });

  it("stops reading an endless stream with an image signature one byte past the cap", async () => {
    const fifo = join(dir, "endless.png");
    const mk = spawn("mkfifo", [fifo]);
    await new Promise((resolve) => mk.on("close", resolve));
    if (!existsSync(fifo)) return;
    // A writer that never ends: the signature, then zeros for as long as someone reads.
    const writer = spawn("sh", ["-c", `{ printf '\\211PNG\\r\\n\\032\\n'; cat /dev/zero; } > "${fifo}"`], { stdio: "ignore" });
    try {
      await rejectsWith(readImageFile(fifo, 1_000_000), "too-large", /more than 1000000 bytes/);
    } finally {
      writer.kill();
    }
  });

  it("applies the cap and the signature check to buffers too", async () => {
    const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: "red" } }).png().toBuffer();
    await decodeImage(png, { maxBytes: png.length });
    await rejectsWith(decodeImage(png, { maxBytes: png.length - 1 }), "too-large", /<buffer>: file too large/);
    await rejectsWith(decodeImage(Buffer.alloc(100)), "not-an-image", /<buffer>: not an image/);
    await assert.rejects(decodeImage(png, { maxBytes: 0 }), /maxBytes must be a positive integer/);
  });

  it("reads a whole small file as it is", async () => {
    const file = join(dir, "small.png");
    const png = await sharp({ create: { width: 3, height: 2, channels: 3, background: "blue" } }).png().toBuffer();
    await writeFile(file, png);
    assert.deepEqual(await readImageFile(file, DEFAULT_MAX_BYTES), png);
  });
});
