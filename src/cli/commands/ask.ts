import type { Command } from "commander";
import { ask, loadLlavaParts } from "../../pipelines/ask.js";
import { type AnswerFlags, addAnswerOptions, answerOptions } from "../option-groups.js";
import { printJson } from "../options.js";
import { downloadBars } from "../progress/download-bars.js";

export function registerAsk(program: Command): void {
  addAnswerOptions(
    program
      .command("ask")
      .description("answer a question about an image with a LLaVA model, streaming the answer")
      .argument("<image>", "image file")
      .argument("<question>", "the question"),
  )
    .option("--json", "print JSON at the end instead of streaming: {image, question, answer, tokens, seconds}")
    .addHelpText("after", `
Examples:
  vlm ask cat.jpg "What is the cat doing?" --model llava-hf/llava-1.5-7b-hf
  vlm ask chart.png "Which bar is highest?" --model ./llava-folder --temperature 0.7 --seed 1 --json`)
    .action(async (image: string, question: string, opts: AnswerFlags & { json?: boolean }) => {
      const llava = await loadLlavaParts(opts.model, { padToSquare: opts.padToSquare, onProgress: downloadBars() });
      const onText = opts.json ? undefined : (piece: string) => process.stdout.write(piece);
      const { answer, answerTokens, seconds } = await ask(llava, { image, question }, { ...answerOptions(opts), onText });
      if (!opts.json) return void process.stdout.write("\n");
      printJson({ image, question, answer, tokens: answerTokens, seconds: Number(seconds.toFixed(3)) });
    });
}
