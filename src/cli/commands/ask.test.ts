/**
 * vlm ask / chat / generate as a user runs them (a child process), on the reference tiny LLaVA
 * made into a complete folder (trained tokenizer, preprocessor config; see test/support/tiny-llava.ts).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { before, describe, test } from "node:test";
import { loadSafetensors } from "../../io/index.js";
import { writeTinyLlavaFolder } from "../../../test/support/tiny-llava.js";
import { referencePath, skipWithoutReference } from "../../../test/support/reference.js";

const entry = fileURLToPath(new URL("../run.ts", import.meta.url));

function vlm(args: string[], input?: string): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["--import", "tsx", entry, ...args], { encoding: "utf8", timeout: 120_000, input });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function assertOneLineError(r: { code: number; stderr: string }, pattern: RegExp): void {
  assert.equal(r.code, 1, `exit code 1 expected, got ${r.code}; stderr: ${r.stderr}`);
  const lines = r.stderr.trim().split("\n");
  assert.equal(lines.length, 1, `one line expected on stderr, got:\n${r.stderr}`);
  assert.match(lines[0], /^vlm: /);
  assert.match(lines[0], pattern);
}

const skip = skipWithoutReference("llava", "tiny");
const ref = (...p: string[]) => referencePath("llava", "tiny", ...p);
const image = ref("images", "shapes_wide.png");

describe("vlm generate on the reference tiny LLaVA", { skip }, () => {
  test("greedy ids equal the reference's generated_ids (prompt + 10 tokens), both rows", () => {
    const expected = loadSafetensors(ref("expected.safetensors"));
    const prompts = expected.get("input_ids")!.toArray() as number[][];
    const want = expected.get("generated_ids")!.toArray() as number[][];
    const rows = prompts.flatMap((p) => ["--input-ids", p.join(",")]);
    const r = vlm(["generate", "--model", ref(), ...rows, "--pixels", ref("pixels.safetensors"), "--max-new-tokens", "10", "--greedy", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { sequences: number[][]; tokens: number[][]; finish_reasons: string[] };
    assert.deepEqual(out.sequences, want);
    assert.deepEqual(out.finish_reasons, ["length", "length"]);
    const plain = vlm(["generate", "--model", ref(), "--input-ids", prompts[0].join(","), "--pixels", ref("pixels.safetensors"), "--max-new-tokens", "10"]);
    assertOneLineError(plain, /the prompts have 16 image tokens .* but the images give 32 features/);
  });

  test("bad ids are one line, exit 1", () => {
    assertOneLineError(vlm(["generate", "--model", ref(), "--input-ids", "1,x,3"]), /--input-ids takes comma-separated non-negative integers/);
    assertOneLineError(vlm(["generate", "--model", ref(), "--input-ids", "1,2", "--greedy", "--temperature", "0.5"]), /contradict/);
  });

  test("a model the registry loads as one that cannot generate is one line naming it", () => {
    const clip = fileURLToPath(new URL("../../../models/icons-clip", import.meta.url));
    assertOneLineError(vlm(["generate", "--model", clip, "--input-ids", "1,2"]), /config\.json: a CLIPModel cannot generate \(supported model_type: llava, llama, mistral, qwen2\)/);
  });
});

describe("vlm ask and vlm chat on a tiny LLaVA folder", { skip }, () => {
  let folder: string;
  before(() => {
    folder = writeTinyLlavaFolder(mkdtempSync(join(tmpdir(), "vlm-ask-")), ref());
  });

  test("ask streams an answer and exits 0; --json reports it with its token count", () => {
    const r = vlm(["ask", image, "What is shown?", "--model", folder, "--max-tokens", "8"]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.endsWith("\n") && r.stdout.trim().length > 0, JSON.stringify(r.stdout));
    const j = vlm(["ask", image, "What is shown?", "--model", folder, "--max-tokens", "8", "--json"]);
    assert.equal(j.code, 0, j.stderr);
    const out = JSON.parse(j.stdout) as { image: string; question: string; answer: string; tokens: number; seconds: number };
    assert.equal(out.image, image);
    assert.equal(out.question, "What is shown?");
    assert.ok(out.tokens >= 1 && out.tokens <= 8);
    assert.equal(`${out.answer}\n`, r.stdout, "greedy: the streamed text is the answer");
    assert.ok(out.answer.length > 0 && out.answer === out.answer.trimStart(), `no leading space: ${JSON.stringify(out.answer)}`);
    assert.ok(out.seconds > 0);
  });

  test("ask with a seed samples reproducibly", () => {
    const args = ["ask", image, "Colours?", "--model", folder, "--max-tokens", "8", "--temperature", "1.5", "--seed", "7", "--json"];
    const a = JSON.parse(vlm(args).stdout) as { answer: string };
    const b = JSON.parse(vlm(args).stdout) as { answer: string };
    assert.equal(a.answer, b.answer);
  });

  test("chat answers two turns from stdin, stops at /exit, and keeps the history", () => {
    const r = vlm(["chat", image, "--model", folder, "--max-tokens", "4"], "What is shown?\n\nAnd the colour?\n/exit\nnot asked\n");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.split("\n").length - 1, 2, `two answers, one line each: ${JSON.stringify(r.stdout)}`);
    // End of input (Ctrl-D) ends the session as /exit does.
    const eof = vlm(["chat", image, "--model", folder, "--max-tokens", "4"], "What is shown?\n");
    assert.equal(eof.code, 0, eof.stderr);
    assert.equal(eof.stdout.split("\n")[0], r.stdout.split("\n")[0], "the first answer does not depend on what follows");
    // The second question asked first gets another answer: the history is part of the prompt.
    const alone = vlm(["chat", image, "--model", folder, "--max-tokens", "4"], "And the colour?\n");
    assert.notEqual(alone.stdout.split("\n")[0], r.stdout.split("\n")[1]);
  });

  test("without --model: one line naming how to pass one", () => {
    assertOneLineError(vlm(["ask", image, "What?"]), /no LLaVA model is shipped.*--model llava-hf\/llava-1\.5-7b-hf/);
    assertOneLineError(vlm(["chat", image]), /pass one with --model/);
  });

  test("missing tokenizer files: one line naming the folder and the files", () => {
    const bare = writeTinyLlavaFolder(mkdtempSync(join(tmpdir(), "vlm-ask-")), ref(), ["tokenizer.json"]);
    assertOneLineError(vlm(["ask", image, "What?", "--model", bare]), new RegExp(`${bare}: no tokenizer files \\(looked for tokenizer.json`));
  });

  test("a template that puts no image placeholder: image token count mismatch, one line", () => {
    const dir = writeTinyLlavaFolder(mkdtempSync(join(tmpdir(), "vlm-ask-")), ref());
    writeFileSync(join(dir, "chat_template.json"), JSON.stringify({ chat_template: "{% for m in messages %}{% for c in m.content %}{{ c.text }}{% endfor %}{% endfor %}" }));
    assertOneLineError(vlm(["ask", image, "What?", "--model", dir]), /0 <image> placeholder\(s\) but 1 image\(s\)/);
  });

  test("an image that is not one: one line naming it", () => {
    const bad = join(mkdtempSync(join(tmpdir(), "vlm-ask-")), "notes.png");
    writeFileSync(bad, "not an image");
    assertOneLineError(vlm(["ask", bad, "What?", "--model", folder]), new RegExp(bad.replaceAll(".", "\\.")));
    assert.ok(readFileSync(bad, "utf8") === "not an image");
  });
});
