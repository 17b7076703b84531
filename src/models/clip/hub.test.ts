/**
 * CLIPModel.fromPretrained("org/name") through a local HTTP server playing the Hub (serving the
 * reference model folder): download into the HF cache layout, then offline from the cache.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { loadSafetensors } from "../../io/index.js";
import { noGrad } from "../../tensor/index.js";
import { loadClipParts } from "../../pipelines/load-clip-parts.js";
import { assertClose } from "../../../test/support/assert.js";
import { FakeHub, fixtureContents } from "../../../test/support/fake-hub.js";
import { referencePath, skipWithoutReference } from "../../../test/support/reference.js";
import { CLIPModel } from "./model.js";

const skip = skipWithoutReference("clip", "tiny");

describe("loading CLIP from a (local, fake) Hub", { skip }, () => {
  const fake = new FakeHub();
  const home = mkdtempSync(join(tmpdir(), "vlm-clip-hub-"));
  before(async () => {
    if (skip) return;
    fake.addRepo("vlmkit-test/clip-tiny", fixtureContents());
    await fake.start();
  });
  after(() => (skip ? undefined : fake.stop()));

  test("fromPretrained downloads into the HF cache and computes the reference embeddings", async () => {
    const env = { HF_HOME: home, HF_ENDPOINT: fake.url };
    const model = await CLIPModel.fromPretrained("vlmkit-test/clip-tiny", { env });
    const expected = loadSafetensors(referencePath("clip", "tiny", "expected.safetensors"));
    const pixels = loadSafetensors(referencePath("clip", "tiny", "pixels.safetensors")).get("pixel_values")!;
    noGrad(() => assertClose(model.encodeImage(pixels), expected.get("image_embeds")!, { atol: 1e-4, rtol: 0 }));
    assert.ok(fake.count({ method: "GET" }) > 0, "files were downloaded");
  });

  test("offline, model + tokenizer + processor come from the cache without a request", async () => {
    const before = fake.log.length;
    const clip = await loadClipParts("vlmkit-test/clip-tiny", { env: { HF_HOME: home, HF_ENDPOINT: fake.url, HF_HUB_OFFLINE: "1" } });
    assert.equal(fake.log.length, before, "no request in offline mode");
    assert.ok(clip.folder.includes(join("hub", "models--vlmkit-test--clip-tiny", "snapshots")), clip.folder);
    assert.deepEqual(clip.tokenizer.tokenize(["a cat"]).inputIds[0].slice(0, 4), [49406, 320, 2368, 49407]);
  });
});
