/**
 * ask and chat as library calls (what a server calls), on the reference tiny LLaVA made into
 * a complete folder. The CLI's own tests (cli/commands/ask.test.ts) run the same through argv.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { ArgumentError } from "../errors.js";
import { writeTinyLlavaFolder } from "../../test/support/tiny-llava.js";
import { referencePath, skipWithoutReference } from "../../test/support/reference.js";
import { type LlavaParts, ask, askStream, drain, loadLlavaParts } from "./ask.js";
import { ImageChat } from "./chat.js";

const skip = skipWithoutReference("llava", "tiny");
const image = referencePath("llava", "tiny", "images", "shapes_wide.png");

describe("ask and chat on a tiny LLaVA", { skip }, () => {
  let folder: string;
  let llava: LlavaParts;
  before(async () => {
    folder = writeTinyLlavaFolder(mkdtempSync(join(tmpdir(), "vlm-ask-")), referencePath("llava", "tiny"));
    llava = await loadLlavaParts(folder);
  });

  test("the answer, its token counts, and the same text streamed or through a callback", async () => {
    const pieces: string[] = [];
    const r = await ask(llava, { image, question: "What is shown?" }, { maxTokens: 8, onText: (p) => pieces.push(p) });
    assert.ok(r.answer.length > 0 && r.answer === r.answer.trimStart(), JSON.stringify(r.answer));
    assert.equal(pieces.join(""), r.answer);
    assert.ok(r.answerTokens >= 1 && r.answerTokens <= 8);
    assert.equal(r.finishReason, r.answerTokens === 8 ? "length" : "eos");
    // 64 px image, patch 16: 16 image tokens, plus the template's text.
    assert.ok(r.promptTokens > 16, String(r.promptTokens));
    assert.ok(r.seconds > 0);
    const streamed: string[] = [];
    const stream = askStream(llava, { image, question: "What is shown?" }, { maxTokens: 8 });
    const result = await drain(stream, (p) => streamed.push(p));
    assert.equal(streamed.join(""), r.answer);
    assert.deepEqual({ ...result, seconds: 0 }, { ...r, seconds: 0 });
  });

  test("a source instead of loaded parts, and a conversation instead of one question, give the same greedy answer", async () => {
    const a = await ask(llava, { image, question: "Colours?" }, { maxTokens: 6 });
    const b = await ask(folder, { messages: [{ role: "user", content: [{ type: "image" }, { type: "text", text: "Colours?" }] }], images: [image] }, { maxTokens: 6 });
    assert.equal(b.answer, a.answer);
  });

  test("sampling with a seed is reproducible", async () => {
    const options = { maxTokens: 8, temperature: 1.5, seed: 7 };
    const a = await ask(llava, { image, question: "Colours?" }, options);
    const b = await ask(llava, { image, question: "Colours?" }, options);
    assert.equal(a.answer, b.answer);
  });

  test("a chat keeps its history: the first answer is ask's, the second depends on the first turn", async () => {
    const chat = await ImageChat.open(llava, image, { maxTokens: 4 });
    const first = await drain(chat.say("What is shown?"));
    const second = await drain(chat.say("And the colour?"));
    assert.equal(first.answer, (await ask(llava, { image, question: "What is shown?" }, { maxTokens: 4 })).answer);
    assert.deepEqual(chat.messages.map((m) => m.role), ["user", "assistant", "user", "assistant"]);
    assert.ok(second.promptTokens > first.promptTokens + first.answerTokens, "the second prompt holds the first turn");
  });

  test("no model named: a named error saying how to pass one", async () => {
    await assert.rejects(loadLlavaParts(undefined), (e) => e instanceof ArgumentError && /no LLaVA model is shipped/.test(e.message));
  });
});
