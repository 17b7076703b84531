import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { FileFormatError, NotFoundError } from "../errors.js";
import { CLIP_DEFAULTS, parsePreprocessorConfig } from "./config.js";
import { CLIPImageProcessor } from "./processor.js";
import { Resampling } from "./resample.js";

const HF = new URL("../../../shared/reference/clip/tiny/hf/", import.meta.url).pathname;
const hfSkip = existsSync(HF) ? false : `reference model folder absent (${HF}); a fresh clone has no ../shared`;

describe("parsePreprocessorConfig", () => {
  it("fills missing keys with CLIP's defaults", () => {
    assert.deepEqual(parsePreprocessorConfig({}, "c.json"), CLIP_DEFAULTS);
  });

  it("accepts Hugging Face's int and dict forms", () => {
    const c = parsePreprocessorConfig(
      { size: 336, crop_size: 336, resample: 2, image_mean: 0.5, image_std: [0.5, 0.5, 0.5], do_center_crop: false, processor_class: "X" },
      "c.json",
    );
    assert.deepEqual(c.size, { shortestEdge: 336 });
    assert.deepEqual(c.cropSize, { height: 336, width: 336 });
    assert.equal(c.resample, Resampling.BILINEAR);
    assert.deepEqual(c.imageMean, [0.5, 0.5, 0.5]);
    assert.equal(c.doCenterCrop, false);
    assert.deepEqual(parsePreprocessorConfig({ size: { height: 64, width: 32 } }, "c.json").size, { height: 64, width: 32 });
  });

  it("names every key with a wrong type, on one line", () => {
    const err = (() => {
      try {
        parsePreprocessorConfig({ size: "224", do_resize: "yes", image_std: [0.2, 0], resample: 7 }, "m/preprocessor_config.json");
      } catch (e) {
        return e;
      }
    })();
    assert.ok(err instanceof FileFormatError, String(err));
    for (const key of ["size", "do_resize", "image_std", "resample", "m/preprocessor_config.json"]) assert.match(err.message, new RegExp(key));
    assert.ok(!err.message.includes("\n"), err.message);
  });
});

describe("CLIPImageProcessor.fromPretrained", () => {
  let dir = "";
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "vlmkit-ppcfg-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads the reference model's preprocessor_config.json", { skip: hfSkip }, async () => {
    const p = await CLIPImageProcessor.fromPretrained(HF);
    assert.deepEqual(p.config, { ...CLIP_DEFAULTS, rescaleFactor: 0.00392156862745098 });
  });

  it("uses CLIP defaults when the folder has no preprocessor config", async () => {
    assert.deepEqual((await CLIPImageProcessor.fromPretrained(dir)).config, CLIP_DEFAULTS);
  });

  it("reports a missing folder and broken JSON clearly", async () => {
    await assert.rejects(CLIPImageProcessor.fromPretrained(join(dir, "missing")), NotFoundError);
    const bad = join(dir, "bad");
    await mkdir(bad);
    await writeFile(join(bad, "preprocessor_config.json"), "{ size: 224 ");
    await assert.rejects(CLIPImageProcessor.fromPretrained(bad), (e: unknown) => e instanceof FileFormatError && /not valid JSON/.test(e.message));
    await writeFile(join(bad, "preprocessor_config.json"), JSON.stringify({ crop_size: { height: 224 } }));
    await assert.rejects(CLIPImageProcessor.fromPretrained(bad), /crop_size: expected a positive integer or \{height, width\}/);
  });
});
