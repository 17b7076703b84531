import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { ImageTokenError, NotFoundError, TokenizerError } from "../../errors.js";
import { CLIPImageProcessor } from "../../image/index.js";
import { referencePath, skipWithoutReference } from "../../../test/support/reference.js";
import { TINY_IMAGE_TOKEN_INDEX, writeTinyLlavaFolder } from "../../../test/support/tiny-llava.js";
import { LlavaForConditionalGeneration } from "./model.js";
import { AutoProcessor, LlavaProcessor } from "./processor.js";
import * as vlmkit from "../../index.js";

const skip = skipWithoutReference("llava", "tiny");
const ref = (...p: string[]) => referencePath("llava", "tiny", ...p);
const image = ref("images", "shapes_wide.png");
const photo = ref("images", "photo_board.jpg");
const tmp = () => mkdtempSync(join(tmpdir(), "vlm-llava-proc-"));

// llava-hf/llava-1.5-7b-hf's chat_template.json, as the Hub serves it.
const LLAVA_HF_TEMPLATE =
  "{% for message in messages %}{% if message['role'] != 'system' %}{{ message['role'].upper() + ': '}}{% endif %}{# Render all images first #}{% for content in message['content'] | selectattr('type', 'equalto', 'image') %}{{ '<image>\n' }}{% endfor %}{# Render all text next #}{% if message['role'] != 'assistant' %}{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}{{ content['text'] + ' '}}{% endfor %}{% else %}{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}{% generation %}{{ content['text'] + ' '}}{% endgeneration %}{% endfor %}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ 'ASSISTANT:' }}{% endif %}";

const CHAT = [
  { role: "user", content: [{ type: "image" as const }, { type: "text" as const, text: "What is shown?" }] },
  { role: "assistant", content: [{ type: "text" as const, text: "Two circles." }] },
  { role: "user", content: [{ type: "text" as const, text: "Which colour?" }] },
];

describe("LlavaProcessor", { skip }, () => {
  let folder: string;
  let processor: LlavaProcessor;
  before(async () => {
    folder = writeTinyLlavaFolder(tmp(), ref());
    processor = await AutoProcessor.fromPretrained(folder);
  });

  test("without a template in the files: LLaVA-1.5's format, one turn and several", () => {
    const one = processor.applyChatTemplate([CHAT[0]], { addGenerationPrompt: true });
    assert.equal(one, "USER: <image>\nWhat is shown? ASSISTANT:");
    assert.equal(processor.applyChatTemplate(CHAT), "USER: <image>\nWhat is shown? ASSISTANT: Two circles. USER: Which colour? ASSISTANT:");
  });

  test("llava-hf's chat_template.json is used when present, and renders the same", async () => {
    const dir = writeTinyLlavaFolder(tmp(), ref());
    writeFileSync(join(dir, "chat_template.json"), JSON.stringify({ chat_template: LLAVA_HF_TEMPLATE }));
    const withFile = await LlavaProcessor.fromPretrained(dir);
    assert.notEqual(withFile.chatTemplate.source, processor.chatTemplate.source);
    assert.equal(withFile.applyChatTemplate(CHAT), processor.applyChatTemplate(CHAT));
    writeFileSync(join(dir, "chat_template.json"), JSON.stringify({ chat_template: "{{ messages | length }} turns" }));
    assert.equal((await LlavaProcessor.fromPretrained(dir)).applyChatTemplate(CHAT), "3 turns");
  });

  test("<image> becomes (64/16)^2 = 16 image tokens; the text around it is kept", async () => {
    const text = processor.applyChatTemplate([CHAT[0]]);
    const out = await processor.process({ text, images: image });
    const [ids] = out.inputIds;
    assert.equal(ids[0], 1, "BOS first");
    const at = ids.indexOf(TINY_IMAGE_TOKEN_INDEX);
    assert.deepEqual(ids.slice(at, at + 16), new Array(16).fill(TINY_IMAGE_TOKEN_INDEX));
    assert.equal(ids.filter((t) => t === TINY_IMAGE_TOKEN_INDEX).length, 16);
    assert.equal(processor.decode(ids.slice(0, at)), "USER: ");
    assert.equal(processor.decode(ids.slice(at + 16)), "\nWhat is shown? ASSISTANT:");
    assert.deepEqual(out.attentionMask, [ids.map(() => 1)]);
    const direct = await new CLIPImageProcessor({ size: { shortestEdge: 64 }, cropSize: { height: 64, width: 64 } }).preprocess([image]);
    assert.deepEqual(out.pixelValues!.shape, [1, 3, 64, 64]);
    assert.deepEqual(out.pixelValues!.f32(), direct.f32());
  });

  test('vision_feature_select_strategy "full" keeps CLS: 17 tokens per image', async () => {
    const dir = writeTinyLlavaFolder(tmp(), ref());
    const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
    writeFileSync(join(dir, "config.json"), JSON.stringify({ ...config, vision_feature_select_strategy: "full" }));
    const full = await LlavaProcessor.fromPretrained(dir);
    const out = await full.process({ text: "<image>hi", images: image });
    assert.equal(out.inputIds[0].filter((t) => t === TINY_IMAGE_TOKEN_INDEX).length, 17);
  });

  test('image_aspect_ratio "pad" pads to a square (the original LLaVA) instead of cropping', async () => {
    const dir = writeTinyLlavaFolder(tmp(), ref());
    const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
    writeFileSync(join(dir, "config.json"), JSON.stringify({ ...config, image_aspect_ratio: "pad" }));
    const padded = await LlavaProcessor.fromPretrained(dir);
    assert.equal(padded.imageProcessor.options.padToSquare, true);
    const a = (await padded.process({ text: "<image>", images: image })).pixelValues!;
    const b = (await processor.process({ text: "<image>", images: image })).pixelValues!;
    assert.notDeepEqual(a.f32(), b.f32());
    const direct = await new CLIPImageProcessor({ size: { shortestEdge: 64 }, cropSize: { height: 64, width: 64 } }, { padToSquare: true }).preprocess([image]);
    assert.deepEqual(a.f32(), direct.f32());
    assert.equal((await LlavaProcessor.fromPretrained(dir, { padToSquare: false })).imageProcessor.options.padToSquare, false);
  });

  test("placeholders and images must agree in number: ImageTokenError", async () => {
    await assert.rejects(processor.process({ text: "<image> and <image>", images: image }), (err: Error) => {
      assert.ok(err instanceof ImageTokenError);
      assert.match(err.message, /2 <image> placeholder\(s\) but 1 image\(s\)/);
      return true;
    });
    await assert.rejects(processor.process({ text: "no image here", images: image }), ImageTokenError);
  });

  test("a batch, left-padded, generates what each prompt generates alone", async () => {
    const model = await LlavaForConditionalGeneration.fromPretrained(folder);
    const texts = ["USER: <image>\nWhat is shown? ASSISTANT:", "USER: <image>\nA much longer question about the colours of the picture? ASSISTANT:"];
    const batch = await processor.process({ text: texts, images: [image, photo], padding: true });
    const width = batch.inputIds[1].length;
    assert.equal(batch.inputIds[0].length, width);
    assert.equal(batch.attentionMask[0].indexOf(1), width - batch.attentionMask[0].filter(Boolean).length, "padding on the left");
    const options = { maxNewTokens: 6, eosTokenId: null, decoder: processor };
    const together = model.generate(batch, options);
    for (const [i, text] of texts.entries()) {
      const alone = model.generate(await processor.process({ text, images: [image, photo][i] }), options);
      assert.deepEqual(together.tokens[i], alone.tokens[0]);
      assert.equal(together.texts![i], alone.texts![0]);
    }
  });

  test("a tokenizer without the image token: TokenizerError naming both ids", async () => {
    const dir = writeTinyLlavaFolder(tmp(), ref());
    const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
    writeFileSync(join(dir, "config.json"), JSON.stringify({ ...config, image_token_index: 511 }));
    writeFileSync(join(dir, "processor_config.json"), JSON.stringify({ image_token: "<image>" }));
    await assert.rejects(LlavaProcessor.fromPretrained(dir), (err: Error) => {
      assert.ok(err instanceof TokenizerError);
      assert.match(err.message, /"<image>" has id 512, but the model's image_token_index is 511/);
      return true;
    });
  });

  test("a folder without tokenizer files: NotFoundError naming the folder", async () => {
    const dir = writeTinyLlavaFolder(tmp(), ref(), ["tokenizer.json", "tokenizer_config.json"]);
    await assert.rejects(AutoProcessor.fromPretrained(dir), (err: Error) => {
      assert.ok(err instanceof NotFoundError);
      assert.ok(err.message.startsWith(dir) && err.message.includes("tokenizer.json"), err.message);
      return true;
    });
  });

  test("the public API loads the folder: AutoModel, AutoProcessor, AutoTokenizer", async () => {
    const model = await vlmkit.AutoModel.fromPretrained(folder);
    assert.ok(model instanceof vlmkit.LlavaForConditionalGeneration);
    assert.ok(model.language_model instanceof vlmkit.LlamaForCausalLM);
    const tok = await vlmkit.AutoTokenizer.fromPretrained(folder);
    assert.ok(tok instanceof vlmkit.PreTrainedTokenizer);
    const proc = await vlmkit.AutoProcessor.fromPretrained(folder);
    const inputs = await proc.process({ text: proc.applyChatTemplate([CHAT[0]]), images: image });
    const out = model.generate(inputs, { maxNewTokens: 3, eosTokenId: null, decoder: proc });
    assert.equal(out.tokens[0].length, 3);
    assert.equal(out.texts![0], tok.decode(out.tokens[0]));
  });
});
