import assert from "node:assert/strict";
import { test } from "node:test";
import { ArgumentError } from "../errors.js";
import { referencePath, skipWithoutReference } from "../../test/support/reference.js";
import { embed, embedImages, embedTexts } from "./embed.js";
import { loadClipParts } from "./load-clip-parts.js";

test("embed: unit vectors in input order, the same as the tensor helpers", { skip: skipWithoutReference("clip", "tiny") }, async () => {
  const clip = await loadClipParts(referencePath("clip", "tiny", "hf"));
  const images = ["photo_board.jpg", "shapes_wide.png"].map((n) => referencePath("clip", "tiny", "images", n));
  const texts = ["a cat", "a diagram", "noise"];
  const out = await embed(clip, { images, texts });
  assert.equal(out.images.length, 2);
  assert.equal(out.texts.length, 3);
  for (const v of [...out.images, ...out.texts]) assert.ok(Math.abs(Math.hypot(...v) - 1) < 1e-5);
  assert.deepEqual(out.images[1], Array.from((await embedImages(clip, images)).f32().subarray(64, 128)));
  assert.deepEqual(out.texts[2], Array.from(embedTexts(clip, texts).f32().subarray(128, 192)));
  assert.deepEqual((await embed(clip, { texts })).images, []);
  await assert.rejects(embed(clip, {}), ArgumentError);
});
