/**
 * The `vlm` command as a user runs it: a child process, its stdout, stderr and exit code.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";
import sharp from "sharp";
import { referencePath, skipWithoutReference } from "../../test/support/reference.js";

const entry = fileURLToPath(new URL("./run.ts", import.meta.url));

function vlm(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["--import", "tsx", entry, ...args], { encoding: "utf8", timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A failed command: exit code 1 and exactly one line on stderr, starting "vlm: ". */
function assertOneLineError(r: { code: number; stderr: string }, pattern: RegExp): void {
  assert.equal(r.code, 1, `exit code 1 expected, got ${r.code}; stderr: ${r.stderr}`);
  const lines = r.stderr.trim().split("\n");
  assert.equal(lines.length, 1, `one line expected on stderr, got:\n${r.stderr}`);
  assert.match(lines[0], /^vlm: /, `stderr should start with "vlm: ": ${lines[0]}`);
  assert.match(lines[0], pattern, `stderr should match ${pattern}: ${lines[0]}`);
}

const skip = skipWithoutReference("clip", "tiny");
const hf = referencePath("clip", "tiny", "hf");

describe("vlm classify on the reference model", { skip }, () => {
  test("reproduces the original CLIP probabilities within 0.005", () => {
    const expected = JSON.parse(readFileSync(referencePath("clip", "tiny", "expected.json"), "utf8")) as {
      images: string[]; texts: string[]; probs_per_image: number[][];
    };
    const images = expected.images.map((name) => referencePath("clip", "tiny", "images", name));
    const labels = expected.texts.flatMap((t) => ["--label", t]);
    const r = vlm("classify", ...images, ...labels, "--template", "{}", "--model", hf, "--json");
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout) as Array<{ image: string; labels: Array<{ label: string; score: number }> }>;
    assert.equal(rows.length, images.length);
    let worst = 0;
    rows.forEach((row, i) => {
      assert.equal(row.image, images[i]);
      for (const { label, score } of row.labels) {
        const want = expected.probs_per_image[i][expected.texts.indexOf(label)];
        worst = Math.max(worst, Math.abs(score - want));
      }
      const scores = row.labels.map((l) => l.score);
      assert.deepEqual(scores, [...scores].sort((a, b) => b - a), "labels sorted by score");
    });
    assert.ok(worst <= 0.005, `max probability difference ${worst}`);
  });

  test("--top and the table output", () => {
    const r = vlm("classify", referencePath("clip", "tiny", "images", "shapes_wide.png"), "--labels", "a diagram,a photo of a cat", "--model", hf, "--top", "1");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim().split("\n").length, 2, r.stdout);
  });

  test("embed prints unit-length embeddings", () => {
    const r = vlm("embed", "--model", hf, "--image", referencePath("clip", "tiny", "images", "photo_board.jpg"), "--text", "a cat", "--json");
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { images: Array<{ embedding: number[] }>; texts: Array<{ embedding: number[] }> };
    for (const e of [...out.images, ...out.texts]) {
      assert.equal(e.embedding.length, 64);
      const norm = Math.hypot(...e.embedding);
      assert.ok(Math.abs(norm - 1) < 1e-5, `norm ${norm}`);
    }
  });

  test("tokenize pads as the model's tokenizer does", () => {
    const r = vlm("tokenize", "--model", hf, "a photo of a cat", "--json");
    assert.equal(r.code, 0, r.stderr);
    const [row] = JSON.parse(r.stdout) as Array<{ ids: number[]; tokens: string[] }>;
    assert.equal(row.ids.length, 77);
    assert.deepEqual(row.ids.slice(0, 7), [49406, 320, 1125, 539, 320, 2368, 49407]);
    assert.equal(row.ids[76], 49407, "the HF folder pads with <|endoftext|>");
    assert.deepEqual(row.tokens, ["<|startoftext|>", "a</w>", "photo</w>", "of</w>", "a</w>", "cat</w>", "<|endoftext|>"]);
  });
});

describe("vlm errors are one line and exit 1", { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), "vlm-cli-"));
  const jpeg = referencePath("clip", "tiny", "images", "photo_board.jpg");

  test("a missing image", () => {
    assertOneLineError(vlm("classify", join(dir, "nope.jpg"), "--labels", "a,b", "--model", hf), /nope\.jpg/);
  });
  test("a file that is not an image", () => {
    const file = join(dir, "notes.txt");
    writeFileSync(file, "just some text, not pixels\n");
    assertOneLineError(vlm("classify", file, "--labels", "a,b", "--model", hf), /notes\.txt/);
  });
  test("a truncated JPEG", () => {
    const file = join(dir, "cut.jpg");
    const bytes = readFileSync(jpeg);
    writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length / 2)));
    assertOneLineError(vlm("classify", file, "--labels", "a,b", "--model", hf), /cut\.jpg/);
  });
  test("a 20000x20000 PNG (decompression bomb)", async () => {
    const file = join(dir, "huge.png");
    await sharp({ create: { width: 20000, height: 20000, channels: 3, background: "#000" }, limitInputPixels: false })
      .png({ compressionLevel: 9 })
      .toFile(file);
    assertOneLineError(vlm("classify", file, "--labels", "a,b", "--model", hf), /huge\.png.*pixels/i);
  });
  test("an empty label list", () => {
    assertOneLineError(vlm("classify", jpeg, "--labels", " , ", "--model", hf), /no labels/);
  });
  test("a model folder without weights", () => {
    const folder = join(dir, "empty-model");
    mkdirSync(folder);
    copyFileSync(join(hf, "config.json"), join(folder, "config.json"));
    assertOneLineError(vlm("classify", jpeg, "--labels", "a,b", "--model", folder), /no weights/);
  });
  test("an unknown option shows usage help", () => {
    const r = vlm("classify", jpeg, "--labelz", "a");
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /unknown option/);
  });
});

test("output piped into a reader that has already gone (| true) ends quietly, exit 0", () => {
  const cli = [process.execPath, "--import", "tsx", entry].map((a) => `'${a}'`).join(" ");
  // `true` exits without reading, long before the CLI has started: its first write gets EPIPE.
  const r = spawnSync("bash", ["-c", `${cli} train clip --help | true; echo "status \${PIPESTATUS[0]}"`], { encoding: "utf8", timeout: 120_000 });
  assert.equal(r.stdout.trim(), "status 0", r.stderr);
  assert.equal(r.stderr, "");
});

test("train clip on data where too few images decode: exit 1, the named error last, no endless loop", () => {
  const dir = mkdtempSync(join(tmpdir(), "vlm-cli-"));
  const manifest = join(dir, "missing.jsonl");
  writeFileSync(manifest, Array.from({ length: 5 }, (_, i) => `${JSON.stringify({ image: `gone-${i}.png`, caption: "a thing" })}\n`).join(""));
  const r = vlm("train", "clip", "--data", manifest, "--model-config", "tiny", "--batch-size", "4", "--workers", "1", "--out", join(dir, "run"));
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stderr.trim().split("\n");
  assert.equal(lines.filter((l) => l.startsWith("[data] skipped")).length, 5, r.stderr);
  assert.match(lines.at(-1)!, /^vlm: .*missing\.jsonl: only 0 of 5 samples could be decoded in epoch 0 \(5 skipped\), and one optimizer step needs 4/);
});

test("vlm demo trains and reports accuracy", () => {
  const r = vlm("demo", "--steps", "3");
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /held-out accuracy: \d+\.\d% on 512 new images/);
});

describe("the shipped default model", () => {
  const examples = fileURLToPath(new URL("../../examples/", import.meta.url));
  test("vlm classify works with no --model, offline", () => {
    // The README's first command: four Twemoji drawings, an art style the model never saw.
    const images = ["cat-face", "pizza", "rocket", "umbrella"].map((n) => join(examples, `${n}.png`));
    const r = vlm("classify", ...images, "--labels", "cat face,dog face,rocket,airplane,pizza,banana,umbrella,snowman", "--json");
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout) as Array<{ labels: Array<{ label: string; score: number }> }>;
    assert.deepEqual(rows.map((row) => row.labels[0].label), ["cat face", "pizza", "rocket", "umbrella"]);
  });
  test("vlm embed gives 128-d unit vectors", () => {
    const r = vlm("embed", "--text", "an emoji of a cat face", "--json");
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { texts: Array<{ embedding: number[] }> };
    assert.equal(out.texts[0].embedding.length, 128);
  });
});
