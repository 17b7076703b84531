import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { ArgumentError } from "../errors.js";
import { openImageTextData } from "../data/open.js";
import { loadClipParts, type LoadedClipParts } from "../pipelines/load-clip-parts.js";
import { trainClip } from "../train/clip/trainer.js";
import { writeShapesDataset } from "../../test/support/shapes.js";
import { collectEvalSet, retrievalEval, templateSensitivity, zeroShotEval } from "./run.js";

const entry = fileURLToPath(new URL("../cli/run.ts", import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), "vlm-eval-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

let manifest: string;
let model: string;
let parts: LoadedClipParts;

before(async () => {
  manifest = await writeShapesDataset(join(scratch, "shapes"), { count: 48, seed: 5 });
  const run = await trainClip({ data: manifest, split: "train", modelConfig: "tiny", out: join(scratch, "run"), batchSize: 12, steps: 6, lr: 2e-3, workers: 1 });
  model = run.finalDir;
  parts = await loadClipParts(model);
});

describe("evaluations as library calls", () => {
  test("the split filter and the label column of a manifest", async () => {
    const val = await openImageTextData(manifest, { labelKey: "name", where: { split: "val" } });
    const set = await collectEvalSet(val);
    assert.equal(set.images.length, 12);
    assert.deepEqual(set.images.map((i) => i.label).sort(), [...new Set(set.images.map((i) => i.label))].sort(), "one image per class");
    await assert.rejects(openImageTextData(manifest, { labelKey: "colour" }), /no field "colour"/);
  });

  test("zero-shot: top-1 <= top-5, per-class counts, chance", async () => {
    const data = await openImageTextData(manifest, { labelKey: "name", where: { split: "val" } });
    const r = await zeroShotEval(parts, data, { templates: ["a {}", "a photo of a {}."], workers: 1 });
    assert.equal(r.count, 12);
    assert.equal(r.classes, 12);
    assert.equal(r.templates, 2);
    assert.ok(r.top1 <= r.top5 && r.top5 <= 1);
    assert.equal(r.perClass.reduce((s, c) => s + c.count, 0), 12);
    assert.equal(r.chance.top1, 1 / 12);
    assert.deepEqual(JSON.parse(JSON.stringify(r)).perClass.length, 12, "JSON-serialisable");
    await assert.rejects(zeroShotEval(parts, await openImageTextData(manifest, { where: { split: "val" } })), (e) => e instanceof ArgumentError && /class name per image/.test(e.message));
  });

  test("retrieval counts any caption of an image as a hit, and skips undecodable images", async () => {
    const dir = join(scratch, "shapes");
    const rows = readFileSync(manifest, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, string>).filter((r) => r.split === "val");
    // each image twice, with a second caption, plus one file that is not an image
    writeFileSync(join(dir, "broken.png"), "not a png");
    const lines = [...rows, ...rows.map((r) => ({ ...r, caption: `${r.caption} on white` })), { image: "broken.png", caption: "a broken file", name: "broken", split: "val" }];
    const multi = join(dir, "multi.jsonl");
    writeFileSync(multi, lines.map((l) => JSON.stringify(l)).join("\n"));
    const r = await retrievalEval(parts, await openImageTextData(multi), { workers: 1 });
    assert.equal(r.images, 12);
    assert.equal(r.captions, 24);
    assert.equal(r.skippedImages, 1);
    for (const s of [r.imageToText, r.textToImage]) {
      assert.ok(s.recall[1] <= s.recall[5] && s.recall[5] <= s.recall[10]);
      assert.ok(s.meanRank >= 1 && s.medianRank >= 1);
    }
    assert.ok(r.textToImage.meanRank <= 12, "ranks among the 12 decoded images only");
  });

  test("a row's several captions (several caption keys) each count as a caption of its image", async () => {
    const set = await collectEvalSet(await openImageTextData(manifest, { captionKey: ["caption", "name"], where: { split: "val" } }));
    assert.equal(set.captions.length, 2 * set.images.length);
    assert.deepEqual(set.captionImage.slice(0, 4), [0, 0, 1, 1]);
  });

  test("the prompt-sensitivity table has its four rows", async () => {
    const data = await openImageTextData(manifest, { labelKey: "name", where: { split: "val" } });
    const rows = await templateSensitivity(parts, data, { domainTemplate: "a drawing of a {}.", ensemble: { name: "simple", templates: ["a {}.", "the {}."] }, workers: 1 });
    assert.deepEqual(rows.map((r) => r.setting), ['bare label "{}"', '"a photo of a {}."', 'domain "a drawing of a {}."', "ensemble (simple, 2)"]);
    assert.deepEqual(rows.map((r) => r.templates), [1, 1, 1, 2]);
    for (const r of rows) assert.ok(r.top1 >= 0 && r.top1 <= r.top5 && r.top5 <= 1);
  });
});

describe("vlm eval", () => {
  function vlm(...args: string[]) {
    const r = spawnSync(process.execPath, ["--import", "tsx", entry, ...args], { encoding: "utf8", timeout: 120_000 });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  }

  test("zeroshot, retrieval and templates print tables and write JSON", () => {
    const common = ["--model", model, "--data", manifest, "--split", "val", "--workers", "1"];
    const zs = vlm("eval", "zeroshot", ...common, "--templates", "simple", "--json", join(scratch, "zs.json"));
    assert.equal(zs.code, 0, zs.stderr);
    assert.match(zs.stdout, /top-1\s+top-5/);
    assert.equal((JSON.parse(readFileSync(join(scratch, "zs.json"), "utf8")) as { templates: number }).templates, 7);

    const rt = vlm("eval", "retrieval", ...common, "--json", join(scratch, "rt.json"));
    assert.equal(rt.code, 0, rt.stderr);
    assert.match(rt.stdout, /image -> text/);
    assert.match(rt.stdout, /text -> image/);
    assert.ok((JSON.parse(readFileSync(join(scratch, "rt.json"), "utf8")) as { textToImage: { recall: Record<string, number> } }).textToImage.recall["10"] >= 0);

    const templatesFile = join(scratch, "templates.txt");
    writeFileSync(templatesFile, "# mine\na {}.\nthe {}.\n");
    const tp = vlm("eval", "templates", ...common, "--templates", templatesFile, "--json", join(scratch, "tp.json"));
    assert.equal(tp.code, 0, tp.stderr);
    const rows = JSON.parse(readFileSync(join(scratch, "tp.json"), "utf8")) as Array<{ setting: string }>;
    assert.equal(rows.length, 4);
    assert.match(tp.stdout, /an emoji of a \{\}/);
    assert.equal(tp.stdout.trim().split("\n").length, 6, "header, rule and 4 rows");
  });

  test("a dataset without the label column is one clear error", () => {
    const r = vlm("eval", "zeroshot", "--model", model, "--data", manifest, "--label-key", "colour");
    assert.equal(r.code, 1);
    assert.match(r.stderr.trim(), /^vlm: .*no field "colour"/);
    assert.equal(r.stderr.trim().split("\n").length, 1);
  });
});
