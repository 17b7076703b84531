import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { DatasetError, NotFoundError } from "../errors.js";
import { type ImageTextSample, samples } from "./dataset.js";
import { openManifest } from "./manifest.js";

async function all(file: string, options?: Parameters<typeof openManifest>[1]): Promise<ImageTextSample[]> {
  const out: ImageTextSample[] = [];
  for await (const s of samples(await openManifest(file, options))) out.push(s);
  return out;
}

async function rejectsAt(promise: Promise<unknown>, file: string, line: number, pattern: RegExp): Promise<void> {
  const err = await promise.then(
    () => assert.fail("expected a DatasetError"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof DatasetError, String(err));
  assert.equal(err.file, file);
  assert.equal(err.line, line, err.message);
  assert.ok(err.message.startsWith(`${file}:${line}: `), err.message);
  assert.match(err.message, pattern);
}

describe("openManifest", () => {
  let dir = "";
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "vlmkit-manifest-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads CSV with quoted commas, quotes and newlines, resolving paths against the manifest's folder", async () => {
    const file = join(dir, "train.csv");
    await writeFile(
      file,
      'id,filepath,title,url\n1,img/a.png,"a cat, sitting",http://x\n\n2,/abs/b.jpg,"two\nlines ""quoted""",http://y\n3,c.webp,plain,\n',
    );
    const rows = await all(file);
    assert.deepEqual(rows, [
      { key: "img/a.png", image: join(dir, "img/a.png"), caption: "a cat, sitting" },
      { key: "/abs/b.jpg", image: "/abs/b.jpg", caption: 'two\nlines "quoted"' },
      { key: "c.webp", image: join(dir, "c.webp"), caption: "plain" },
    ]);
  });

  it("reads TSV with custom keys and a byte-order mark", async () => {
    const file = join(dir, "cc.tsv");
    await writeFile(file, "\uFEFFimage\tcaption\nx.jpg\ta dog, running\ny.jpg\t\"quoted\ttab\"\n");
    const rows = await all(file, { imageKey: "image", captionKey: "caption" });
    assert.deepEqual(
      rows.map((r) => [r.key, r.caption]),
      [
        ["x.jpg", "a dog, running"],
        ["y.jpg", "quoted\ttab"],
      ],
    );
  });

  it("reads JSONL, skipping blank lines", async () => {
    const file = join(dir, "m.jsonl");
    await writeFile(file, '{"filepath": "a.png", "title": "first", "extra": 1}\n\n{"filepath": "sub/b.png", "title": "second"}\n');
    const rows = await all(file);
    assert.deepEqual(rows, [
      { key: "a.png", image: join(dir, "a.png"), caption: "first" },
      { key: "sub/b.png", image: join(dir, "sub/b.png"), caption: "second" },
    ]);
  });

  it("gives a row several captions from several keys or a JSONL array, and names a bad one", async () => {
    const file = join(dir, "multi.jsonl");
    await writeFile(file, '{"filepath": "a.png", "title": ["one", "two"], "name": "cat"}\n{"filepath": "b.png", "title": "three", "name": "dog"}\n');
    assert.deepEqual(await all(file, { captionKey: ["title", "name"] }), [
      { key: "a.png", image: join(dir, "a.png"), caption: "one", captions: ["one", "two", "cat"] },
      { key: "b.png", image: join(dir, "b.png"), caption: "three", captions: ["three", "dog"] },
    ]);
    assert.deepEqual((await all(file))[0], { key: "a.png", image: join(dir, "a.png"), caption: "one", captions: ["one", "two"] });
    assert.deepEqual((await all(file))[1], { key: "b.png", image: join(dir, "b.png"), caption: "three" });
    const bad = join(dir, "badmulti.jsonl");
    await writeFile(bad, '{"filepath": "a.png", "title": ["one", ""]}\n');
    await rejectsAt(openManifest(bad), bad, 1, /no caption in "title" \(got \["one",""\]\)/);
    await writeFile(bad, '{"filepath": "a.png", "title": []}\n');
    await rejectsAt(openManifest(bad), bad, 1, /no caption in "title" \(got \[\]\)/);
  });

  it("names the file and line 1 for a missing column, listing the header", async () => {
    const file = join(dir, "nocol.csv");
    await writeFile(file, "path,title\na.png,x\n");
    await rejectsAt(openManifest(file), file, 1, /no column "filepath"; the header has: path, title/);
  });

  it("names the line a bad CSV row starts on, after a multi-line quoted caption", async () => {
    const file = join(dir, "badrow.csv");
    // Row 2 spans lines 2-3; row 3 (line 4) has an empty caption.
    await writeFile(file, 'filepath,title\na.png,"one\ntwo"\nb.png,\n');
    await rejectsAt(openManifest(file), file, 4, /no caption in "title"/);
  });

  it("names the line of a CSV row with the wrong number of fields", async () => {
    const file = join(dir, "ragged.csv");
    await writeFile(file, "filepath,title\na.png,x\nb.png\n");
    await rejectsAt(openManifest(file), file, 3, /malformed row/);
  });

  it("names the line of bad JSON, a missing field and a non-string caption in JSONL", async () => {
    const bad = join(dir, "bad.jsonl");
    await writeFile(bad, '{"filepath": "a.png", "title": "ok"}\n{"filepath": "b.png", "title": \n');
    await rejectsAt(openManifest(bad), bad, 2, /not valid JSON/);
    const missing = join(dir, "missing.jsonl");
    await writeFile(missing, '{"filepath": "a.png", "title": "ok"}\n\n{"filepath": "b.png"}\n');
    await rejectsAt(openManifest(missing), missing, 3, /no field "title"; the row has: filepath/);
    const number = join(dir, "number.jsonl");
    await writeFile(number, '{"filepath": "a.png", "title": 7}\n');
    await rejectsAt(openManifest(number), number, 1, /no caption in "title" \(got 7\)/);
  });

  it("refuses an unknown extension without a format, and a missing file", async () => {
    await assert.rejects(openManifest(join(dir, "m.txt")), (e: unknown) => e instanceof DatasetError && /format/.test(e.message));
    await assert.rejects(openManifest(join(dir, "absent.csv")), NotFoundError);
    const file = join(dir, "m.txt");
    await writeFile(file, '{"filepath": "a.png", "title": "t"}\n');
    assert.equal((await openManifest(file, { format: "jsonl" })).size, 1);
  });
});
