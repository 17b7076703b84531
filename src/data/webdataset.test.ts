import assert from "node:assert/strict";
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { after, before, describe, it } from "node:test";
import sharp from "sharp";
import { pack } from "tar-stream";
import { NotFoundError } from "../errors.js";
import { decodeImage } from "../image/decode.js";
import { type ImageTextSample, samples, type SkippedSample } from "./dataset.js";
import { expandBraces, openWebDataset, splitMemberName } from "./webdataset.js";

/** Writes a tar of `[name, bytes]` members in order; gzipped when the name says so. */
async function writeTar(file: string, members: [string, Buffer | string][]): Promise<void> {
  const tar = pack();
  for (const [name, data] of members) tar.entry({ name }, data);
  tar.finalize();
  // tar-stream's Pack is a streamx stream, which Node's pipeline types do not know.
  const source = tar as unknown as NodeJS.ReadableStream;
  if (file.endsWith(".gz")) await pipeline(source, createGzip(), createWriteStream(file));
  else await pipeline(source, createWriteStream(file));
}

function solid(format: "jpeg" | "png" | "webp", r: number): Promise<Buffer> {
  return sharp({ create: { width: 8, height: 6, channels: 3, background: { r, g: 0, b: 0 } } })
    .toFormat(format, format === "webp" ? { lossless: true } : {})
    .toBuffer();
}

async function collect(iter: AsyncIterable<ImageTextSample | SkippedSample>): Promise<(ImageTextSample | SkippedSample)[]> {
  const out = [];
  for await (const x of iter) out.push(x);
  return out;
}

describe("expandBraces / splitMemberName", () => {
  it("expands zero-padded ranges and lists", () => {
    assert.deepEqual(expandBraces("s-{08..11}.tar"), ["s-08.tar", "s-09.tar", "s-10.tar", "s-11.tar"]);
    assert.deepEqual(expandBraces("{a,b}/{0..1}.tar"), ["a/0.tar", "a/1.tar", "b/0.tar", "b/1.tar"]);
    assert.deepEqual(expandBraces("plain.tar"), ["plain.tar"]);
  });

  it("keys on the path up to the first dot of the basename", () => {
    assert.deepEqual(splitMemberName("dir.v2/000123.seg.PNG"), { key: "dir.v2/000123", ext: "seg.png" });
    assert.deepEqual(splitMemberName("abc.txt"), { key: "abc", ext: "txt" });
    assert.equal(splitMemberName("README"), null);
  });
});

describe("openWebDataset", () => {
  let dir = "";
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "vlmkit-wds-"));
    await mkdir(join(dir, "shards"));
    await writeTar(join(dir, "shards/00.tar"), [
      ["s/000.jpg", await solid("jpeg", 10)],
      ["s/000.txt", " a jpeg \n"],
      ["s/001.png", await solid("png", 20)],
      ["s/001.json", JSON.stringify({ caption: "a png", other: 1 })],
      ["s/002.webp", await solid("webp", 30)],
      ["s/002.json", JSON.stringify({ text: "a webp" })],
      ["s/003.txt", "caption without image"],
      ["s/004.png", await solid("png", 40)],
      ["s/004.json", JSON.stringify({ url: "no caption field" })],
      ["s/005.cls", "3"],
    ]);
    await writeTar(join(dir, "shards/01.tar.gz"), [
      ["x/100.png", await solid("png", 50)],
      ["x/100.txt", "gzipped"],
    ]);
    await writeFile(join(dir, "shards/02.tar"), Buffer.alloc(1024, 7));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("groups members by key: jpg/png/webp images, .txt or .json captions; reports incomplete groups", async () => {
    const ds = await openWebDataset(join(dir, "shards/00.tar"));
    const items = await collect(ds.readShard(0));
    assert.deepEqual(
      items.map((x) => ("reason" in x ? [x.key, x.reason] : [x.key, x.caption])),
      [
        ["s/000", "a jpeg"],
        ["s/001", "a png"],
        ["s/002", "a webp"],
        ["s/003", "no-image"],
        ["s/004", "no-caption"],
        ["s/005", "no-image"],
      ],
    );
    const webp = items[2] as ImageTextSample;
    assert.ok(Buffer.isBuffer(webp.image));
    const decoded = await decodeImage(webp.image as Buffer);
    assert.deepEqual([decoded.width, decoded.height, decoded.data[0]], [8, 6, 30]);
  });

  it("opens a folder of shards (sorted, gzipped too) and reports a damaged shard instead of throwing", async () => {
    const ds = await openWebDataset(join(dir, "shards"));
    assert.deepEqual(ds.shards.map((s) => s.slice(dir.length + 1)), ["shards/00.tar", "shards/01.tar.gz", "shards/02.tar"]);
    assert.deepEqual((await collect(ds.readShard(1))).map((x) => x.key), ["x/100"]);
    const bad = await collect(ds.readShard(2));
    assert.equal(bad.length, 1);
    assert.equal((bad[0] as SkippedSample).reason, "bad-shard");
    const keys = [];
    for await (const s of samples(ds)) keys.push(s.key);
    assert.deepEqual(keys, ["s/000", "s/001", "s/002", "x/100"]);
  });

  it("expands brace patterns and names a missing shard", async () => {
    const ds = await openWebDataset(join(dir, "shards/{00..00}.tar"));
    assert.equal(ds.shards.length, 1);
    await assert.rejects(openWebDataset(join(dir, "shards/{00..03}.tar")), (e: unknown) => e instanceof NotFoundError && /01\.tar/.test(e.message));
  });
});
