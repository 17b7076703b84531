import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { NotFoundError } from "../errors.js";
import { isSkipped } from "./dataset.js";
import { openImageFolder } from "./folder.js";

describe("openImageFolder", () => {
  let dir = "";
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "vlmkit-folder-"));
    await mkdir(join(dir, "b/nested"), { recursive: true });
    // Image bytes do not matter here: the folder dataset never decodes.
    for (const [name, caption] of [
      ["a.jpg", "a red square\n"],
      ["b/nested/c.PNG", "\uFEFFnested caption"],
      ["b/d.webp", "   "],
      ["z.png", "last"],
    ]) {
      await writeFile(join(dir, name), "img");
      await writeFile(join(dir, name.replace(/\.\w+$/, ".txt")), caption);
    }
    await writeFile(join(dir, "lonely.jpg"), "img");
    await writeFile(join(dir, "notes.txt"), "a caption without an image");
    await writeFile(join(dir, "readme.md"), "#");
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("pairs images with same-stem .txt sidecars, recursively, sorted by path", async () => {
    const ds = await openImageFolder(dir);
    assert.equal(ds.size, 4);
    assert.deepEqual(ds.uncaptioned, ["lonely.jpg"]);
    const items = await Promise.all([0, 1, 2, 3].map((i) => ds.get(i)));
    assert.deepEqual(items[0], { key: "a.jpg", image: join(dir, "a.jpg"), caption: "a red square" });
    assert.deepEqual(items[1], { key: "b/d.webp", reason: "no-caption", message: `${join(dir, "b/d.txt")}: empty caption file` });
    assert.deepEqual(items[2], { key: "b/nested/c.PNG", image: join(dir, "b/nested/c.PNG"), caption: "nested caption" });
    assert.equal(isSkipped(items[3]), false);
  });

  it("takes a list of extensions and refuses a missing folder", async () => {
    assert.equal((await openImageFolder(dir, { extensions: [".png"] })).size, 2);
    await assert.rejects(openImageFolder(join(dir, "absent")), NotFoundError);
  });
});
