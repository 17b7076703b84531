/**
 * Questions answered about images with a LLaVA model: the task behind `vlm ask`, `vlm chat`
 * (see chat.ts) and a server's messages endpoints, so a greedy answer is the same whichever
 * asks. Answers stream as text pieces (an async iterator) or through a callback; nothing is
 * printed here.
 */
import type { ImageInput } from "../image/index.js";
import type { ProgressCallback } from "../io/hub/index.js";
import type { FinishReason, GenerateOptions } from "../models/llama/generate.js";
import { LlavaForConditionalGeneration, type LlavaGenerateInput } from "../models/llava/model.js";
import { LlavaProcessor } from "../models/llava/processor.js";
import type { ChatMessage } from "../tokenizers/chat-template.js";
import { llavaModelOrDefault } from "./default-model.js";
import { type SamplingChoice, samplingOptions } from "./generate.js";

export interface LlavaParts {
  model: LlavaForConditionalGeneration;
  processor: LlavaProcessor;
}

export interface LoadLlavaPartsOptions {
  /** Pad images to a square instead of cropping (the original LLaVA's image_aspect_ratio pad). */
  padToSquare?: boolean;
  /** Download progress from the Hub (the CLI draws bars from it). */
  onProgress?: ProgressCallback;
}

/**
 * A LLaVA model with its processor, from a Hub id or a model folder.
 *
 * @example
 * const llava = await loadLlavaParts("llava-hf/llava-1.5-7b-hf");
 */
export async function loadLlavaParts(source: string | undefined, options: LoadLlavaPartsOptions = {}): Promise<LlavaParts> {
  const folder = llavaModelOrDefault(source);
  // The processor first: missing tokenizer files fail before gigabytes of weights are read.
  const processor = await LlavaProcessor.fromPretrained(folder, options);
  const model = await LlavaForConditionalGeneration.fromPretrained(folder, { onProgress: options.onProgress });
  return { model, processor };
}

export interface AskOptions extends SamplingChoice {
  /** Answer length limit in tokens (default 256). */
  maxTokens?: number;
}

/** A conversation: messages whose `{ type: "image" }` parts stand for `images`, in order. */
export interface Conversation {
  messages: readonly ChatMessage[];
  images: readonly ImageInput[];
}

/** One question about one image, or a whole conversation ending with the user's turn. */
export type AskInput = { image: ImageInput; question: string } | Conversation;

export interface AskResult {
  answer: string;
  /** Tokens of the prompt, image tokens included. */
  promptTokens: number;
  /** Tokens generated for the answer. */
  answerTokens: number;
  finishReason: FinishReason;
  seconds: number;
}

function conversation(input: AskInput): Conversation {
  if ("messages" in input) return input;
  return { messages: [{ role: "user", content: [{ type: "image" }, { type: "text", text: input.question }] }], images: [input.image] };
}

function generationOptions(parts: LlavaParts, options: AskOptions): GenerateOptions {
  return { maxNewTokens: options.maxTokens ?? 256, decoder: parts.processor, ...samplingOptions(options) };
}

/**
 * The answer to a prompt already processed, as text pieces. Byte-level tokenizers start the
 * answer with the space after "ASSISTANT:"; it is dropped, as a reader expects.
 */
export async function* streamAnswer(
  parts: LlavaParts, input: LlavaGenerateInput, options: AskOptions, startedAt = performance.now(),
): AsyncGenerator<string, AskResult> {
  const stream = parts.model.stream(input, generationOptions(parts, options));
  let answer = "";
  for (;;) {
    const next = await stream.next();
    if (next.done) {
      return {
        answer, promptTokens: input.inputIds[0].length, answerTokens: next.value.tokens[0].length,
        finishReason: next.value.finishReasons[0], seconds: (performance.now() - startedAt) / 1000,
      };
    }
    const piece = answer === "" ? next.value.trimStart() : next.value;
    answer += piece;
    if (piece) yield piece;
  }
}

/**
 * Streams the answer to a question about an image; the iterator's return value is the
 * whole answer with its token counts.
 *
 * @example
 * const stream = askStream(llava, { image: "cat.jpg", question: "What is the cat doing?" });
 * for await (const piece of stream) process.stdout.write(piece);
 */
export async function* askStream(parts: LlavaParts, input: AskInput, options: AskOptions = {}): AsyncGenerator<string, AskResult> {
  const startedAt = performance.now();
  const { messages, images } = conversation(input);
  const prompt = parts.processor.applyChatTemplate(messages);
  const inputs = await parts.processor.process({ text: prompt, images: [...images] });
  return yield* streamAnswer(parts, inputs, options, startedAt);
}

/** Reads a stream to its end, handing each piece to `onText`; returns the stream's result. */
export async function drain<R>(stream: AsyncGenerator<string, R>, onText?: (piece: string) => void): Promise<R> {
  for (;;) {
    const next = await stream.next();
    if (next.done) return next.value;
    onText?.(next.value);
  }
}

/**
 * Answers a question about an image (greedy unless `temperature` > 0); `onText` sees the
 * answer as it is generated. `llava` is loaded parts, or a source to load them from.
 *
 * @example
 * const { answer, promptTokens, answerTokens } = await ask("llava-hf/llava-1.5-7b-hf",
 *   { image: "cat.jpg", question: "What is the cat doing?" }, { maxTokens: 64 });
 */
export async function ask(
  llava: LlavaParts | string, input: AskInput, options: AskOptions & { onText?: (piece: string) => void } = {},
): Promise<AskResult> {
  const parts = typeof llava === "string" ? await loadLlavaParts(llava) : llava;
  return drain(askStream(parts, input, options), options.onText);
}
