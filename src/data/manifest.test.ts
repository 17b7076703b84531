import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { DatasetError, NotFoundError } from "../errors.js";
import { type ImageTextSample, samples } from "./dataset.js";
import { manifestText } from "./manifest-text.js";
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

  it("decodes UTF-16 (LE and BE) when a byte-order mark says so, and strips a UTF-8 one", async () => {
    const text = "filepath,title\na.png,caf\u00e9 \u{1f431}\nb.png,na\u00efve\n";
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]);
    const be = Buffer.from(le);
    be.swap16();
    for (const [name, bytes] of [["le.csv", le], ["be.csv", be], ["bom8.csv", Buffer.from(`\uFEFF${text}`)]] as const) {
      const file = join(dir, name);
      await writeFile(file, bytes);
      assert.deepEqual((await all(file)).map((r) => r.caption), ["caf\u00e9 \u{1f431}", "na\u00efve"], name);
    }
  });

  it("refuses bytes that are not UTF-8, naming the line, instead of training on U+FFFD", async () => {
    const csv = join(dir, "latin1.csv");
    await writeFile(csv, Buffer.concat([Buffer.from("filepath,title\na.png,ok\nb.png,caf"), Buffer.from([0xe9]), Buffer.from("\n")]));
    await rejectsAt(openManifest(csv), csv, 3, /not valid UTF-8 \(bytes e9 0a\); save the manifest as UTF-8/);
    const jsonl = join(dir, "latin1.jsonl");
    await writeFile(jsonl, Buffer.concat([Buffer.from('{"filepath": "a.png", "title": "ok"}\n{"filepath": "b.png", "title": "'), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n')]));
    await rejectsAt(openManifest(jsonl), jsonl, 2, /not valid UTF-8/);
    // Cut at the very end: a character that never completes.
    const cut = join(dir, "cut.jsonl");
    await writeFile(cut, Buffer.concat([Buffer.from('{"filepath": "a.png", "title": "ok"}\n'), Buffer.from([0xe2, 0x82])]));
    await rejectsAt(openManifest(cut), cut, 2, /not valid UTF-8 \(bytes e2 82\)/);
  });

  it("says UTF-16 without a byte-order mark (or a binary file) is not text, and refuses UTF-32", async () => {
    const file = join(dir, "nobom.csv");
    await writeFile(file, Buffer.from("filepath,title\na.png,x\n", "utf16le"));
    await rejectsAt(openManifest(file), file, 1, /a NUL byte: this is not a text file, or it is UTF-16 without a byte-order mark/);
    const utf32 = join(dir, "u32.csv");
    await writeFile(utf32, Buffer.from([0xff, 0xfe, 0, 0, 0x61, 0, 0, 0]));
    await rejectsAt(openManifest(utf32), utf32, 1, /UTF-32/);
    await assert.rejects(openManifest(dir, { format: "csv" }), (e: unknown) => e instanceof DatasetError && /is a folder/.test(e.message));
  });

  it("keeps characters that straddle read chunks, and counts lines across them", async () => {
    const file = join(dir, "long.jsonl");
    const rows = Array.from({ length: 3000 }, (_, i) => JSON.stringify({ filepath: `${i}.png`, title: `\u6771\u4eac ${i} \u{1f431}\u00e9` }));
    await writeFile(file, `${rows.join("\n")}\n`);
    const read = await all(file);
    assert.equal(read.length, 3000);
    assert.ok(read.every((r, i) => r.caption === `\u6771\u4eac ${i} \u{1f431}\u00e9`));
    await writeFile(file, Buffer.concat([Buffer.from(`${rows.join("\n")}\n`), Buffer.from([0xff, 0x0a])]));
    await rejectsAt(openManifest(file), file, 3001, /not valid UTF-8/);
  });

  it("refuses a line longer than the limit instead of buffering it", async () => {
    const file = join(dir, "oneline.csv");
    await writeFile(file, `filepath,title\n${"x".repeat(300_000)}`);
    const read = async () => {
      for await (const _ of manifestText(file, 100_000)) void _;
    };
    await rejectsAt(read(), file, 2, /a line longer than 100000 bytes/);
  });
});
