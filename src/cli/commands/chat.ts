import { createInterface } from "node:readline";
import type { Command } from "commander";
import type { ChatMessage } from "../../tokenizers/chat-template.js";
import { type AnswerOptions, addAnswerOptions, generationOptions, loadAsker, streamAnswer } from "./ask.js";

export function registerChat(program: Command): void {
  addAnswerOptions(
    program
      .command("chat")
      .description("talk about an image with a LLaVA model: one question per line, the conversation is kept")
      .argument("<image>", "image file"),
  )
    .addHelpText("after", `
Type a question and press Enter; /exit or Ctrl-D ends the session. Questions can also come
from a pipe, one per line:
  printf 'What is this?\\nWhat colour is it?\\n' | vlm chat photo.jpg --model llava-hf/llava-1.5-7b-hf`)
    .action(async (image: string, opts: AnswerOptions) => {
      const asker = await loadAsker(opts.model, opts.padToSquare);
      const { processor, model } = asker;
      const options = generationOptions(opts, processor);
      // The image's features are computed once; every turn re-reads the whole conversation.
      const first = await processor.process({ text: processor.config.imageToken, images: image });
      const imageFeatures = model.imageFeatures(first.pixelValues!);
      const messages: ChatMessage[] = [];
      const interactive = process.stdin.isTTY === true;
      const lines = createInterface({ input: process.stdin, output: interactive ? process.stdout : undefined, terminal: interactive });
      if (interactive) console.log(`Chatting about ${image}. /exit or Ctrl-D to stop.`);
      lines.setPrompt("you> ");
      const ask = () => {
        if (interactive) lines.prompt();
      };
      ask();
      for await (const line of lines) {
        const question = line.trim();
        if (question === "/exit") break;
        if (question === "") {
          ask();
          continue;
        }
        messages.push({ role: "user", content: messages.length === 0 ? [{ type: "image" }, { type: "text", text: question }] : [{ type: "text", text: question }] });
        const { inputIds } = await processor.process({ text: processor.applyChatTemplate(messages), images: image });
        if (interactive) process.stdout.write("llava> ");
        const { answer } = await streamAnswer(asker, { inputIds, imageFeatures }, options, (piece) => process.stdout.write(piece));
        process.stdout.write("\n");
        messages.push({ role: "assistant", content: [{ type: "text", text: answer.trim() }] });
        ask();
      }
      lines.close();
      // Ctrl-D leaves the cursor after the prompt.
      if (interactive) process.stdout.write("\n");
    });
}
