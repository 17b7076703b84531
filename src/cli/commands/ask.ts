import type { Command } from "commander";
import { ArgumentError } from "../../errors.js";
import type { GenerateOptions } from "../../models/llama/generate.js";
import { LlavaForConditionalGeneration, type LlavaGenerateInput } from "../../models/llava/model.js";
import { LlavaProcessor } from "../../models/llava/processor.js";
import { nonNegativeInt, positiveInt, printJson } from "../options.js";

export interface AnswerOptions {
  model?: string;
  maxTokens: number;
  temperature?: number;
  seed?: number;
  padToSquare?: boolean;
}

export interface Asker {
  model: LlavaForConditionalGeneration;
  processor: LlavaProcessor;
}

/** The project ships no LLaVA (a useful one is gigabytes): the model must be named. */
export async function loadAsker(source: string | undefined, padToSquare?: boolean): Promise<Asker> {
  if (!source) {
    throw new ArgumentError("no LLaVA model is shipped with vlmkit: pass one with --model, e.g. --model llava-hf/llava-1.5-7b-hf (a Hub id) or --model ./my-llava (a folder)");
  }
  // The processor first: missing tokenizer files fail before gigabytes of weights are read.
  const processor = await LlavaProcessor.fromPretrained(source, { padToSquare });
  const model = await LlavaForConditionalGeneration.fromPretrained(source);
  return { model, processor };
}

export function parseTemperature(value: string): number {
  const t = Number(value);
  if (!(t >= 0)) throw new ArgumentError(`--temperature must be a number >= 0, got "${value}"`);
  return t;
}

/** Greedy unless a temperature above 0 asks for sampling. */
export function generationOptions(opts: AnswerOptions, processor: LlavaProcessor): GenerateOptions {
  const sampling = opts.temperature !== undefined && opts.temperature > 0;
  return { maxNewTokens: opts.maxTokens, decoder: processor, seed: opts.seed, ...(sampling ? { doSample: true, temperature: opts.temperature } : {}) };
}

/**
 * Streams one answer into `write` as it is generated and returns it. Byte-level tokenizers
 * start the answer with the space after "ASSISTANT:"; it is dropped, as a reader expects.
 */
export async function streamAnswer(
  asker: Asker,
  input: LlavaGenerateInput,
  options: GenerateOptions,
  write: (piece: string) => void,
): Promise<{ answer: string; tokens: number }> {
  const stream = asker.model.stream(input, options);
  let answer = "";
  for (;;) {
    const next = await stream.next();
    if (next.done) return { answer, tokens: next.value.tokens[0].length };
    const piece = answer === "" ? next.value.trimStart() : next.value;
    answer += piece;
    if (piece) write(piece);
  }
}

/** Model options shared by ask and chat. */
export function addAnswerOptions(command: Command): Command {
  return command
    .option("-m, --model <source>", "LLaVA Hub id or model folder (required: none is shipped)")
    .option("-n, --max-tokens <N>", "answer length limit in tokens", positiveInt("--max-tokens"), 256)
    .option("-t, --temperature <T>", "sample with this temperature (0 or unset: greedy)", parseTemperature)
    .option("-s, --seed <S>", "random seed for sampling", nonNegativeInt("--seed"))
    .option("--pad-to-square", "pad the image to a square instead of cropping (the original LLaVA's image_aspect_ratio pad)");
}

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
    .action(async (image: string, question: string, opts: AnswerOptions & { json?: boolean }) => {
      const asker = await loadAsker(opts.model, opts.padToSquare);
      const started = process.hrtime.bigint();
      const prompt = asker.processor.applyChatTemplate([{ role: "user", content: [{ type: "image" }, { type: "text", text: question }] }]);
      const inputs = await asker.processor.process({ text: prompt, images: image });
      const { answer, tokens } = await streamAnswer(asker, inputs, generationOptions(opts, asker.processor), (piece) => {
        if (!opts.json) process.stdout.write(piece);
      });
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (!opts.json) return void process.stdout.write("\n");
      printJson({ image, question, answer, tokens, seconds: Number(seconds.toFixed(3)) });
    });
}
