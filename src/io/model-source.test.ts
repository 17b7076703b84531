/**
 * openModelSource opens every kind of model source the same way: a folder, a Hub id (through a
 * local fake Hub, into the HF cache) and a single weights file, with or without config.json.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { FileFormatError, NotFoundError } from "../errors.js";
import { tensor } from "../tensor/index.js";
import { FakeHub } from "../../test/support/fake-hub.js";
import { locateModel, openModelSource } from "./model-source.js";
import { saveSafetensors } from "./write.js";

const dir = mkdtempSync(join(tmpdir(), "vlm-model-source-"));
const CONFIG = { model_type: "toy", hidden_size: 2 };

/** A model folder: config.json (unless `config` is null) and model.safetensors. */
function modelFolder(name: string, config: object | null = CONFIG): string {
  const path = join(dir, name);
  mkdirSync(path);
  if (config) writeFileSync(join(path, "config.json"), JSON.stringify(config));
  saveSafetensors(join(path, "model.safetensors"), { "w.weight": tensor([[1, 2], [3, 4]]) });
  return path;
}

describe("openModelSource", () => {
  const hub = new FakeHub();
  before(async () => {
    const folder = modelFolder("hub-repo");
    hub.addRepo("vlmkit-test/toy", Object.fromEntries(readdirSync(folder).map((name) => [name, readFileSync(join(folder, name))])));
    await hub.start();
  });
  after(async () => {
    await hub.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("a folder: its config.json and its weights", async () => {
    const folder = modelFolder("folder");
    const source = await openModelSource(folder);
    assert.deepEqual(source.config, CONFIG);
    assert.equal(source.folder, folder);
    assert.equal(source.configFile, join(folder, "config.json"));
    assert.equal(source.weightsFile, null);
    assert.deepEqual(source.checkpoint.keys(), ["w.weight"]);
    source.checkpoint.close();
  });

  test("a Hub id: downloaded into the HF cache, then the same as a folder", async () => {
    const home = join(dir, "hf-home");
    const source = await openModelSource("vlmkit-test/toy", { env: { HF_HOME: home, HF_ENDPOINT: hub.url } });
    assert.ok(source.folder.startsWith(join(home, "hub", "models--vlmkit-test--toy", "snapshots")), source.folder);
    assert.deepEqual(source.config, CONFIG);
    assert.deepEqual([...source.checkpoint.float32("w.weight", [2, 2]).f32()], [1, 2, 3, 4]);
    source.checkpoint.close();
    assert.ok(hub.count({ method: "GET" }) > 0, "files were downloaded");
  });

  test("a single weights file: its folder's config.json when there is one, else none", async () => {
    const withConfig = join(modelFolder("file-with-config"), "model.safetensors");
    const a = await openModelSource(withConfig);
    assert.deepEqual(a.config, CONFIG);
    assert.equal(a.weightsFile, withConfig);
    assert.deepEqual(a.checkpoint.files, [withConfig]);
    a.checkpoint.close();

    const alone = join(modelFolder("file-alone", null), "model.safetensors");
    const b = await openModelSource(alone);
    assert.equal(b.config, null);
    assert.equal(b.configFile, alone, "errors about the config name the weights file");
    assert.equal(b.folder, join(dir, "file-alone"));
    b.checkpoint.close();
  });

  test("locateModel reads the config without opening the weights", async () => {
    const folder = modelFolder("locate");
    rmSync(join(folder, "model.safetensors"));
    const location = await locateModel(folder);
    assert.deepEqual(location.config, CONFIG);
    await assert.rejects(openModelSource(folder), (e: Error) => e instanceof NotFoundError && e.message.startsWith(`${folder}: no weights`));
  });

  test("a folder without config.json, or with a broken one: named errors, before any weights are opened", async () => {
    const bare = modelFolder("no-config", null);
    await assert.rejects(openModelSource(bare), (e: Error) => e instanceof NotFoundError && e.message === `${bare}: no config.json in this model folder`);
    const broken = modelFolder("broken-config");
    writeFileSync(join(broken, "config.json"), "{ not json");
    rmSync(join(broken, "model.safetensors"));
    await assert.rejects(openModelSource(broken), (e: Error) => e instanceof FileFormatError && e.message.includes(join(broken, "config.json")) && /not valid JSON/.test(e.message));
    writeFileSync(join(broken, "config.json"), "[1, 2]");
    await assert.rejects(openModelSource(broken), (e: Error) => e instanceof FileFormatError && /expected a JSON object/.test(e.message));
  });
});
