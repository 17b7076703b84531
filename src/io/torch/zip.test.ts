import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { FileFormatError } from "../../errors.js";
import { ZipReader } from "./zip.js";

const FIXTURES = new URL("../../../test/fixtures/torch/", import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), "vlmkit-zip-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** views.pt's storage 0 is torch.arange(24.): float32 0..23. */
function assertArange(reader: ZipReader, entry: string) {
  const all = reader.readEntry(entry);
  assert.deepEqual([...new Float32Array(all.buffer, 0, 24)], Array.from({ length: 24 }, (_, i) => i));
  const middle = reader.readRange(entry, 4 * 10, 4 * 3);
  assert.equal(middle.byteOffset, 0);
  assert.deepEqual([...new Float32Array(middle.buffer)], [10, 11, 12]);
}

describe("ZipReader", () => {
  it("lists torch.save's STORED entries and reads byte ranges of one", () => {
    const reader = ZipReader.open(join(FIXTURES, "views.pt"));
    try {
      assert.deepEqual([...reader.entries.keys()], ["views/data.pkl", "views/data/0", "views/data/1", "views/version"]);
      assert.equal(reader.entry("views/data/0").method, 0);
      assertArange(reader, "views/data/0");
    } finally {
      reader.close();
    }
  });

  it("reads an archive whose sizes and offsets are all ZIP64 fields", () => {
    const reader = ZipReader.open(join(FIXTURES, "zip64.pt"));
    try {
      assert.equal(reader.entry("views/data/0").size, 96);
      assertArange(reader, "views/data/0");
    } finally {
      reader.close();
    }
  });

  it("inflates DEFLATE entries", () => {
    const reader = ZipReader.open(join(FIXTURES, "deflated.pt"));
    try {
      assert.equal(reader.entry("dtypes/data.pkl").method, 8);
      const stored = ZipReader.open(join(FIXTURES, "dtypes.pt"));
      try {
        assert.deepEqual(reader.readEntry("dtypes/data.pkl"), stored.readEntry("dtypes/data.pkl"));
        assert.deepEqual(reader.readRange("dtypes/data.pkl", 5, 7), stored.readRange("dtypes/data.pkl", 5, 7));
      } finally {
        stored.close();
      }
    } finally {
      reader.close();
    }
  });

  it("refuses ranges outside an entry, naming it", () => {
    const reader = ZipReader.open(join(FIXTURES, "views.pt"));
    try {
      assert.throws(() => reader.readRange("views/data/0", 90, 8), /views\.pt: zip entry views\/data\/0: bytes 90\.\.98 requested, the entry has 96/);
      assert.throws(() => reader.entry("views/data/9"), (e: unknown) => e instanceof FileFormatError && /zip entry views\/data\/9 is missing/.test(e.message));
    } finally {
      reader.close();
    }
  });

  it("tells a truncated zip from a file that is no zip at all", () => {
    assert.throws(() => ZipReader.open(join(FIXTURES, "truncated.pt")), /truncated\.pt: .*the file is truncated/);
    const text = join(tmp, "notes.txt");
    writeFileSync(text, "just some text, long enough to be scanned for a zip directory");
    assert.throws(() => ZipReader.open(text), (e: unknown) => e instanceof FileFormatError && /notes\.txt: not a zip archive/.test(e.message));
  });

  it("detects an entry cut short although the directory survived", () => {
    const original = new Uint8Array(readFileSync(join(FIXTURES, "views.pt")));
    const reader = ZipReader.open(join(FIXTURES, "views.pt"));
    const { localHeaderOffset } = reader.entry("views/data/1");
    reader.close();
    const cut = join(tmp, "cut.pt");
    // Replace everything from entry data/1 on with the tail (central directory + EOCD), keeping offsets
    // in the directory unchanged: data/1 and later now lie past the end.
    const eocdSize = 22;
    const view = new DataView(original.buffer);
    const cdOffset = view.getUint32(original.length - eocdSize + 16, true);
    const tail = original.slice(cdOffset);
    const shortened = new Uint8Array(localHeaderOffset + 10 + tail.length);
    shortened.set(original.subarray(0, localHeaderOffset + 10));
    shortened.set(tail, localHeaderOffset + 10);
    new DataView(shortened.buffer).setUint32(shortened.length - eocdSize + 16, localHeaderOffset + 10, true);
    writeFileSync(cut, shortened);
    const damaged = ZipReader.open(cut);
    try {
      assertArange(damaged, "views/data/0");
      assert.throws(() => damaged.readEntry("views/data/1"), /cut\.pt: .*views\/data\/1.*truncated/);
    } finally {
      damaged.close();
    }
  });
});
