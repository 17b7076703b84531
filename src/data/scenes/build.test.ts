import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, before, describe, it } from "node:test";
import sharp from "sharp";
import { vqa } from "../../eval/index.js";
import type { AnswerFile } from "../../eval/vqa/files/llava.js";
import { openManifest } from "../manifest.js";
import { packageRoot } from "../../package-root.js";
import { buildScenes, type SceneBuildSummary } from "./build.js";
import type { VqaAnswer, VqaQuestion } from "./eval-files.js";
import type { LlavaRecord } from "./llava-records.js";
import type { PopeQuestion } from "./pope.js";
import type { Scene } from "./scene.js";

const packages = join(packageRoot(), "data", "packages");
const installed = existsSync(join(packages, "node_modules", "emojibase-data")) && existsSync(join(packages, "node_modules", "emoji-datasource-twitter"));
const skip = installed ? false : `${packages} is not installed (\`npm run data:icons\` installs it; tests never do)`;

// Three training styles (a bitmap, an SVG file and an Iconify set) spare parsing the 100 MB Fluent color set.
const options = { packagesDir: packages, count: 30, evalCount: 6, seed: 3, install: false, concurrency: 4, styles: ["google", "openmoji", "emojione"] } as const;

function tree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.set(relative(dir, path), createHash("sha256").update(readFileSync(path)).digest("hex"));
    }
  };
  walk(dir);
  return out;
}

const lines = <T>(file: string): T[] => readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l) as T);

describe("vlm data build scenes: bad options", () => {
  it("names the bad option before drawing anything", async () => {
    const out = join(tmpdir(), "vlm-scenes-never-written");
    const bad = async (extra: object): Promise<unknown> => buildScenes({ ...options, out, ...extra });
    await assert.rejects(bad({ styles: ["google", "klingon"] }), /unknown emoji style "klingon"; emoji styles are google, twitter/);
    await assert.rejects(bad({ styles: ["google", "twitter"] }), /the held-out style "twitter" cannot also be a training style/);
    await assert.rejects(bad({ cooccur: 1.5 }), /cooccur must be a probability in \[0, 1\], got 1.5/);
    await assert.rejects(bad({ count: 0 }), /count must be a positive integer, got 0/);
    await assert.rejects(bad({ packagesDir: join(tmpdir(), "vlm-no-packages") }), /no emoji packages in .*vlm-no-packages: run `vlm data build icons`/);
    assert.ok(!existsSync(out));
  });
});

describe("vlm data build scenes (a small build)", { skip }, () => {
  let dir = "";
  let summary: SceneBuildSummary;
  let scenes: Scene[];
  const file = (name: string): string => join(dir, name);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "vlm-scenes-"));
    const progress: number[] = [];
    summary = await buildScenes({ ...options, out: join(dir, "a"), onProgress: (p) => progress.push(p.done) });
    dir = join(dir, "a");
    scenes = lines<Scene>(file("scenes.jsonl"));
    assert.deepEqual(progress, Array.from({ length: 30 + 4 * 6 }, (_, i) => i + 1));
  });
  after(() => rmSync(join(dir, ".."), { recursive: true, force: true }));

  it("is byte-identical for the same options, whatever the rendering order", async () => {
    const again = join(dir, "..", "b");
    await buildScenes({ ...options, out: again, concurrency: 1 });
    assert.deepEqual(tree(again), tree(dir));
    rmSync(again, { recursive: true });
  });

  it("renders one 256 x 256 PNG per scene, Twemoji only in its test splits", async () => {
    assert.deepEqual(Object.fromEntries(Object.entries(summary.splits).map(([k, v]) => [k, v.scenes])), { train: 30, val: 6, "test-style": 6, "test-combos": 6, "test-pope": 6 });
    assert.equal(scenes.length, 54);
    const images = [...tree(join(dir, "images")).keys()].sort();
    assert.deepEqual(images, scenes.map((s) => s.image).sort());
    for (const scene of scenes.slice(0, 60).filter((_, i) => i % 9 === 0)) {
      const meta = await sharp(join(dir, "images", scene.image)).metadata();
      assert.deepEqual([meta.format, meta.width, meta.height], ["png", 256, 256]);
    }
    for (const scene of scenes) {
      assert.equal(scene.style === "twitter", scene.split === "test-style" || scene.split === "test-pope", `${scene.id} in ${scene.style}`);
    }
    assert.deepEqual(summary.trainingStyles, ["google", "openmoji", "emojione"]);
    assert.deepEqual(new Set(scenes.filter((s) => s.split === "train").map((s) => s.style)), new Set(summary.trainingStyles));
  });

  it("keeps the held-out pairs out of training and in every combinations scene", () => {
    for (const scene of scenes) {
      const names = new Set(scene.items.filter((i) => i.kind === "object").map((i) => i.name));
      const held = summary.heldOutPairs.filter(([a, b]) => names.has(a) && names.has(b));
      assert.equal(held.length, scene.split === "test-combos" ? 1 : 0, `${scene.id}: ${JSON.stringify(held)}`);
    }
  });

  it("writes LLaVA's stage-1 and stage-2 JSON arrays for train and val, naming existing images", () => {
    for (const name of ["pretrain.json", "instruct.json", "pretrain_val.json", "instruct_val.json"]) {
      const records = JSON.parse(readFileSync(file(name), "utf8")) as LlavaRecord[];
      assert.equal(records.length, name.includes("val") ? 6 : 30, name);
      for (const r of records) {
        assert.ok(existsSync(join(dir, "images", r.image)), r.image);
        assert.ok(r.conversations[0].value.startsWith("<image>\n"));
        assert.equal(JSON.stringify(r).split("<image>").length, 2);
      }
    }
  });

  it("writes test questions never asked in training, with answers, POPE and CHAIR files", () => {
    const trainQuestions = new Set(
      (JSON.parse(readFileSync(file("instruct.json"), "utf8")) as LlavaRecord[]).flatMap((r) => r.conversations.filter((t) => t.from === "human").map((t) => t.value.replace("<image>\n", ""))),
    );
    const byImage = new Map(scenes.map((s) => [s.image, s]));
    for (const split of ["val", "test-style", "test-combos", "test-pope"]) {
      const questions = lines<VqaQuestion>(file(`eval/${split}/questions.jsonl`));
      const answers = lines<VqaAnswer>(file(`eval/${split}/answers.jsonl`));
      assert.deepEqual(questions.map((q) => q.question_id), answers.map((a) => a.question_id));
      assert.ok(questions.length >= 6 * 4, `${split}: ${questions.length} questions`);
      for (const q of questions) {
        assert.deepEqual(Object.keys(q), ["question_id", "image", "text", "category"]);
        assert.ok(!trainQuestions.has(q.text), q.text);
        assert.equal(byImage.get(q.image)?.split, split);
      }
      for (const sampling of ["random", "popular", "adversarial"]) {
        const pope = lines<PopeQuestion>(file(`eval/${split}/pope/${sampling}.jsonl`));
        assert.equal(pope.filter((q) => q.label === "yes").length * 2, pope.length);
        for (const q of pope) {
          const name = /^Is there an? (\w+) in the image\?$/.exec(q.text)![1];
          assert.equal(byImage.get(q.image)!.items.some((i) => i.name === name), q.label === "yes", `${q.image}: ${q.text}`);
        }
      }
      const chair = lines<{ image: string; objects: string[] }>(file(`eval/${split}/chair.jsonl`));
      assert.deepEqual(chair.map((c) => c.objects), chair.map((c) => [...new Set(byImage.get(c.image)!.items.map((i) => i.name))].sort()));
      assert.deepEqual(lines<VqaQuestion>(file(`eval/${split}/chair_questions.jsonl`)), questions.filter((q) => q.category === "describe"));
    }
    assert.ok(summary.evaluation["test-style"].yesShare > 0.3 && summary.evaluation["test-style"].yesShare < 0.7);
  });

  it("is read by the `vlm eval` scorers as it is: answering with the ground truth scores 100%", () => {
    const answerFile = (name: string, rows: { question_id: string; text: string }[]): AnswerFile => ({ file: name, lines: rows.map((value, k) => ({ value, line: k + 1 })) });
    for (const split of ["test-style", "test-pope"]) {
      const dir = file(`eval/${split}`);
      // POPE: the label folder's file names are the samplings of pope_questions.jsonl.
      const popeQuestions = { file: "pope_questions.jsonl", lines: vqa.readLlavaQuestions(join(dir, "pope_questions.jsonl")) };
      const labels = new Map(["random", "popular", "adversarial"].flatMap((s) => lines<PopeQuestion>(join(dir, "pope", `${s}.jsonl`)).map((q) => [q.question_id, q.label])));
      const pope = vqa.scorePope(popeQuestions, answerFile("a", popeQuestions.lines.map((q) => ({ question_id: String(q.value.question_id), text: labels.get(String(q.value.question_id)) === "yes" ? "Yes" : "No" }))), vqa.readPopeLabelSources([join(dir, "pope")]));
      assert.deepEqual(pope.splits.map((r) => [r.category, r.accuracy]), [["adversarial", 1], ["popular", 1], ["random", 1]]);
      // CHAIR: the reference descriptions mention every object and shape there, and nothing else.
      const vocabulary = new vqa.ChairVocabulary(vqa.readSynonyms(file("eval/chair_synonyms.txt")));
      const truth = vqa.listedImageObjects(vocabulary, { file: "chair.jsonl", lines: vqa.readImageObjects(join(dir, "chair.jsonl")) });
      const answers = lines<VqaAnswer>(join(dir, "answers.jsonl"));
      const describe = answers.filter((a) => a.kind === "describe");
      const chairQuestions = { file: "chair_questions.jsonl", lines: vqa.readLlavaQuestions(join(dir, "chair_questions.jsonl")) };
      const chair = vqa.scoreChair(vocabulary, truth, chairQuestions, answerFile("a", describe.map((a) => ({ question_id: a.question_id, text: a.answer }))));
      assert.equal(chair.hallucinatedMentions, 0);
      for (const item of chair.items) assert.deepEqual(new Set(item.mentions.map((m) => m.object)), truth.get(`image:${item.image}`), item.image);
      // The short answers: exact up to case, per kind, through the reference-answer reader.
      const short = vqa.scoreChartQa(vqa.readReferences(join(dir, "answers.jsonl")), answerFile("a", answers.map((a) => ({ question_id: a.question_id, text: a.answer.toUpperCase() }))));
      assert.equal(short.accuracy, 1);
    }
  });

  it("writes a CLIP manifest that `vlm train clip --split train` reads, several captions a row", async () => {
    const train = await openManifest(file("clip_manifest.jsonl"), { imageKey: "image", captionKey: "caption", where: { split: "train" } });
    assert.equal(train.size, 30);
    const sample = await train.get(0);
    assert.ok("captions" in sample && Array.isArray(sample.captions) && sample.captions.length === 4, JSON.stringify(sample));
    assert.ok(existsSync(sample.image as string));
  });
});
