import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import sharp from "sharp";
import { OPENAI_CLIP_MEAN, OPENAI_CLIP_STD } from "../image/config.js";
import type { ImageTextSample, IndexedDataset, ShardedDataset, SkippedSample } from "./dataset.js";
import { type ImageTextBatch, ImageTextLoader, type LoaderOptions } from "./loader.js";
import { openManifest } from "./manifest.js";

const SMALL_CLIP = { name: "clip", config: { size: { shortestEdge: 8 }, cropSize: { height: 8, width: 8 } } } as const;
const quiet = (): void => {};

/** A solid image whose red channel is `r`; every other image is large so workers finish out of order. */
function solid(r: number, big: boolean): Promise<Buffer> {
  const side = big ? 200 : 9;
  return sharp({ create: { width: side, height: side, channels: 3, background: { r, g: 128, b: 7 } } }).png().toBuffer();
}

/** `n` in-memory samples "k0".."k(n-1)", red channel = index (labelled "class index % 3" if asked); counts reads. */
async function memoryDataset(n: number, labelled = false): Promise<IndexedDataset & { reads: number }> {
  const images = await Promise.all(Array.from({ length: n }, (_, i) => solid(i, i % 3 === 0)));
  const ds = {
    kind: "indexed" as const,
    size: n,
    reads: 0,
    async get(i: number): Promise<ImageTextSample> {
      ds.reads++;
      return { key: `k${i}`, image: images[i], caption: `caption ${i}`, ...(labelled && { label: `class ${i % 3}` }) };
    },
  };
  return ds;
}

/** The same samples as `shards` shards, read front to back; counts how many were yielded. */
async function shardedDataset(shards: number, perShard: number): Promise<ShardedDataset & { reads: number }> {
  const images = await Promise.all(Array.from({ length: shards * perShard }, (_, i) => solid(i, i % 4 === 0)));
  const ds = {
    kind: "sharded" as const,
    shards: Array.from({ length: shards }, (_, s) => `shard-${s}`),
    reads: 0,
    async *readShard(s: number): AsyncGenerator<ImageTextSample | SkippedSample> {
      for (let j = 0; j < perShard; j++) {
        const i = s * perShard + j;
        ds.reads++;
        yield { key: `k${i}`, image: images[i], caption: `caption ${i}` };
      }
    },
  };
  return ds;
}

function redOf(batch: ImageTextBatch, b: number): number {
  const [, , H, W] = batch.pixelValues.shape;
  const v = batch.pixelValues.data[b * 3 * H * W] as number;
  return Math.round((v * OPENAI_CLIP_STD[0] + OPENAI_CLIP_MEAN[0]) * 255) + 0; // not -0
}

// Loaders are reused across epochs and closed at the end: starting workers is the slow part.
const open: ImageTextLoader[] = [];
after(() => Promise.all(open.map((l) => l.close())));

function loaderFor(dataset: IndexedDataset | ShardedDataset, options: Partial<LoaderOptions>): ImageTextLoader {
  const loader = new ImageTextLoader(dataset, { batchSize: 4, workers: 2, transform: SMALL_CLIP, onSkip: quiet, ...options });
  open.push(loader);
  return loader;
}

async function collect(loader: ImageTextLoader, epoch = 0, from = 0): Promise<ImageTextBatch[]> {
  const batches: ImageTextBatch[] = [];
  for await (const b of loader.epoch(epoch, { from })) batches.push(b);
  return batches;
}

const keysOf = (batches: ImageTextBatch[]): string[] => batches.flatMap((b) => b.keys);

describe("ImageTextLoader", () => {
  it("yields every sample once per epoch, pixels matching keys, in a seeded order", async () => {
    const ds = await memoryDataset(10);
    const loader = loaderFor(ds, { seed: 3 });
    const batches = await collect(loader);
    assert.deepEqual(batches.map((b) => b.pixelValues.shape), [[4, 3, 8, 8], [4, 3, 8, 8], [2, 3, 8, 8]]);
    const keys = keysOf(batches);
    assert.deepEqual([...keys].sort(), Array.from({ length: 10 }, (_, i) => `k${i}`).sort());
    assert.notDeepEqual(keys, Array.from({ length: 10 }, (_, i) => `k${i}`), "shuffled");
    for (const b of batches) {
      b.keys.forEach((k, i) => {
        assert.equal(redOf(b, i), Number(k.slice(1)), `pixels of ${k}`);
        assert.equal(b.captions[i], `caption ${k.slice(1)}`);
      });
    }
    assert.deepEqual(loader.stats, { seen: 10, decoded: 10, skipped: 0, skippedByReason: {} });
    assert.deepEqual(batches.map((b) => b.position), [{ epoch: 0, index: 4 }, { epoch: 0, index: 8 }, { epoch: 0, index: 10 }]);
    assert.equal(batches[0].labels, undefined, "no labels in, no labels out");
  });

  it("carries each sample's label beside its key when the dataset has labels", async () => {
    const batches = await collect(loaderFor(await memoryDataset(10, true), { seed: 3 }));
    for (const b of batches) assert.deepEqual(b.labels, b.keys.map((k) => `class ${Number(k.slice(1)) % 3}`));
  });

  it("gives the same batches for a seed whatever the worker count; other seeds and epochs differ", async () => {
    const ds = await memoryDataset(12);
    const augment = { transform: { name: "random-resized-crop", size: 8, scale: [0.2, 1] } } as const;
    const one = loaderFor(ds, { seed: 5, workers: 1, ...augment });
    const a = await collect(one);
    const b = await collect(loaderFor(ds, { seed: 5, workers: 3, prefetch: 12, ...augment }));
    assert.deepEqual(keysOf(a), keysOf(b));
    a.forEach((batch, i) => assert.deepEqual(batch.pixelValues.data, b[i].pixelValues.data, `batch ${i} pixels`));
    assert.notDeepEqual(keysOf(await collect(one, 1)), keysOf(a));
    assert.notDeepEqual(keysOf(await collect(loaderFor(ds, { seed: 6, workers: 1 }))), keysOf(a));
    const ordered = await collect(loaderFor(ds, { shuffle: false, workers: 1 }));
    assert.deepEqual(keysOf(ordered), Array.from({ length: 12 }, (_, i) => `k${i}`));
  });

  it("resumes at a saved position with exactly the remaining samples and pixels", async () => {
    const ds = await memoryDataset(11);
    const augment = { seed: 9, transform: { name: "random-resized-crop", size: 8, scale: [0.2, 1] } } as const;
    const full = await collect(loaderFor(ds, augment), 2);
    const position = full[1].position;
    assert.deepEqual(position, { epoch: 2, index: 8 });
    ds.reads = 0;
    // A new loader, as after a restart.
    const resumed = loaderFor(ds, augment);
    const rest = await collect(resumed, position.epoch, position.index);
    assert.equal(ds.reads, 3, "samples before the position are not read");
    assert.deepEqual(keysOf(rest), keysOf(full).slice(8));
    assert.deepEqual(rest[0].pixelValues.data, full[2].pixelValues.data);
    assert.deepEqual(await collect(resumed, 2, 11), []);
    await assert.rejects(collect(resumed, 2, 12), /past the end/);
  });

  it("draws one of a sample's several captions per epoch, the same for a seed and position", async () => {
    const base = await memoryDataset(8);
    const multi: IndexedDataset = {
      kind: "indexed",
      size: base.size,
      get: async (i) => ({ ...(await base.get(i) as ImageTextSample), captions: [`a${i}`, `b${i}`, `c${i}`] }),
    };
    const loader = loaderFor(multi, { seed: 4 });
    const drawn = new Set<string>();
    for (let epoch = 0; epoch < 8; epoch++) {
      const captions = (await collect(loader, epoch)).flatMap((b) => b.captions);
      const again = (await collect(loader, epoch, 4)).flatMap((b) => b.captions);
      assert.deepEqual(again, captions.slice(4), "resuming mid-epoch draws the same captions");
      const keys = keysOf(await collect(loader, epoch));
      captions.forEach((c, j) => assert.equal(c.slice(1), keys[j].slice(1), `${c} belongs to ${keys[j]}`));
      for (const c of captions) drawn.add(c);
    }
    for (let i = 0; i < 8; i++) {
      const distinct = ["a", "b", "c"].filter((p) => drawn.has(`${p}${i}`)).length;
      assert.ok(distinct >= 2, `sample ${i}: ${distinct} distinct captions over 8 epochs`);
    }
  });

  it("keeps at most `prefetch` samples ahead of the consumer", async () => {
    const ds = await memoryDataset(40);
    const loader = new ImageTextLoader(ds, { batchSize: 4, prefetch: 6, workers: 2, transform: SMALL_CLIP });
    try {
      for await (const _ of loader.epoch(0)) {
        assert.ok(ds.reads <= loader.stats.seen + 6, `read ${ds.reads} with ${loader.stats.seen} consumed`);
        const before = ds.reads;
        await new Promise((r) => setTimeout(r, 20));
        assert.equal(ds.reads, before, "nothing is read while the consumer holds a batch");
      }
    } finally {
      await loader.close();
    }
    assert.equal(loader.stats.seen, 40);
  });

  it("skips corrupt, truncated, missing and non-image files, counting each reason", async () => {
    const dir = await mkdtemp(join(tmpdir(), "vlmkit-loader-"));
    try {
      const jpeg = await sharp({ create: { width: 64, height: 64, channels: 3, background: "#3366aa" } }).jpeg().toBuffer();
      const png = await solid(90, false);
      const corrupt = Buffer.from(png);
      corrupt.fill(0x41, 40, 70); // inside IHDR/IDAT: the checksum fails
      const rows: [string, Buffer | string | null][] = [
        ["good1.jpg", jpeg],
        ["trunc.jpg", jpeg.subarray(0, Math.floor(jpeg.length / 2))],
        ["good2.png", png],
        ["corrupt.png", corrupt],
        ["notes.png", "just some text, not an image"],
        ["gone.png", null],
        ["good3.png", png],
      ];
      for (const [name, data] of rows) if (data !== null) await writeFile(join(dir, name), data);
      await writeFile(join(dir, "m.csv"), ["filepath,title", ...rows.map(([n]) => `${n},caption of ${n}`)].join("\n"));
      const skips: SkippedSample[] = [];
      const loader = loaderFor(await openManifest(join(dir, "m.csv")), { batchSize: 2, onSkip: (s) => skips.push(s) });
      const batches = await collect(loader);
      assert.deepEqual(keysOf(batches).sort(), ["good1.jpg", "good2.png", "good3.png"]);
      assert.equal(loader.stats.seen, 7);
      assert.equal(loader.stats.decoded, 3);
      assert.equal(loader.stats.skipped, 4);
      assert.deepEqual(Object.values(loader.stats.skippedByReason).reduce((a, b) => a + b, 0), 4);
      assert.equal(loader.stats.skippedByReason.missing, 1);
      assert.equal(loader.stats.skippedByReason["not-an-image"], 1);
      assert.equal(loader.stats.skippedByReason.truncated, 1);
      assert.deepEqual(skips.map((s) => s.key).sort(), ["corrupt.png", "gone.png", "notes.png", "trunc.jpg"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  describe("sharded datasets", () => {
    it("shuffles shards and samples deterministically with a bounded buffer, every sample once", async () => {
      const ds = await shardedDataset(4, 5);
      const options = { seed: 1, shuffleBuffer: 3, prefetch: 4 };
      const loader = new ImageTextLoader(ds, { batchSize: 4, workers: 2, transform: SMALL_CLIP, ...options });
      const batches: ImageTextBatch[] = [];
      try {
        for await (const b of loader.epoch(0)) {
          // window + shuffle buffer, and one read ahead by the shard iterator
          assert.ok(ds.reads <= loader.stats.seen + 4 + 3, `read ${ds.reads} with ${loader.stats.seen} consumed`);
          batches.push(b);
        }
      } finally {
        await loader.close();
      }
      const keys = keysOf(batches);
      assert.deepEqual([...keys].sort(), Array.from({ length: 20 }, (_, i) => `k${i}`).sort());
      for (const b of batches) b.keys.forEach((k, i) => assert.equal(redOf(b, i), Number(k.slice(1))));
      const again = loaderFor(ds, options);
      assert.deepEqual(keysOf(await collect(again)), keys);
      assert.notDeepEqual(keysOf(await collect(again, 1)), keys);
      const position = batches[2].position;
      assert.deepEqual(keysOf(await collect(again, 0, position.index)), keys.slice(12));
    });
  });

  it("shuts its workers down: close() ends them, and an unclosed loader does not keep the process alive", async () => {
    const ds = await memoryDataset(4);
    const loader = new ImageTextLoader(ds, { batchSize: 2, workers: 2, transform: SMALL_CLIP });
    for await (const _ of loader.epoch(0)) break;
    await loader.close();
    await assert.rejects(async () => {
      for await (const _ of loader.epoch(0));
    }, /pool is closed/);

    const dir = await mkdtemp(join(tmpdir(), "vlmkit-exit-"));
    try {
      const script = join(dir, "forgotten.mts");
      const loaderUrl = new URL("./loader.ts", import.meta.url).href;
      const manifestUrl = new URL("./manifest.ts", import.meta.url).href;
      await writeFile(join(dir, "a.png"), await solid(1, false));
      await writeFile(join(dir, "m.jsonl"), Array(6).fill('{"filepath": "a.png", "title": "t"}').join("\n"));
      await writeFile(
        script,
        `import { ImageTextLoader } from ${JSON.stringify(loaderUrl)};
         import { openManifest } from ${JSON.stringify(manifestUrl)};
         const loader = new ImageTextLoader(await openManifest(${JSON.stringify(join(dir, "m.jsonl"))}), { batchSize: 2, workers: 2 });
         for await (const b of loader.epoch(0)) { console.log("batch", b.keys.length); break; }
         // no close(): the process must still exit`,
      );
      const root = fileURLToPath(new URL("../..", import.meta.url));
      const child = spawnSync(process.execPath, ["--import", "tsx", script], { cwd: root, timeout: 60_000, encoding: "utf8" });
      assert.equal(child.error, undefined, "the child exited by itself");
      assert.equal(child.status, 0, child.stderr);
      assert.match(child.stdout, /batch 2/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
