import { createInterface } from "node:readline";
import type { Command } from "commander";
import { drain, loadLlavaParts } from "../../pipelines/ask.js";
import { ImageChat } from "../../pipelines/chat.js";
import { type AnswerFlags, addAnswerOptions, answerOptions } from "../option-groups.js";
import { downloadBars } from "../progress/download-bars.js";

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
    .action(async (image: string, opts: AnswerFlags) => {
      const llava = await loadLlavaParts(opts.model, { padToSquare: opts.padToSquare, onProgress: downloadBars() });
      const chat = await ImageChat.open(llava, image, answerOptions(opts));
      const interactive = process.stdin.isTTY === true;
      const lines = createInterface({ input: process.stdin, output: interactive ? process.stdout : undefined, terminal: interactive });
      if (interactive) console.log(`Chatting about ${image}. /exit or Ctrl-D to stop.`);
      lines.setPrompt("you> ");
      const prompt = () => {
        if (interactive) lines.prompt();
      };
      prompt();
      for await (const line of lines) {
        const question = line.trim();
        if (question === "/exit") break;
        if (question === "") {
          prompt();
          continue;
        }
        if (interactive) process.stdout.write("llava> ");
        await drain(chat.say(question), (piece) => process.stdout.write(piece));
        process.stdout.write("\n");
        prompt();
      }
      lines.close();
      // Ctrl-D leaves the cursor after the prompt.
      if (interactive) process.stdout.write("\n");
    });
}
