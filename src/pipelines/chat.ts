/**
 * A conversation about one image (`vlm chat`, a server session): the image's features are
 * computed once; every turn re-reads the whole conversation, so the history is part of the
 * prompt.
 */
import type { ImageInput } from "../image/index.js";
import type { Tensor } from "../tensor/index.js";
import type { ChatMessage } from "../tokenizers/chat-template.js";
import { type AskOptions, type AskResult, type LlavaParts, streamAnswer } from "./ask.js";

export class ImageChat {
  /** The turns so far; the image stands in the first user turn. */
  readonly messages: ChatMessage[] = [];

  private constructor(
    private readonly parts: LlavaParts,
    private readonly image: ImageInput,
    private readonly imageFeatures: Tensor,
    private readonly options: AskOptions,
  ) {}

  /**
   * @example
   * const chat = await ImageChat.open(llava, "photo.jpg", { maxTokens: 64 });
   * for await (const piece of chat.say("What is this?")) process.stdout.write(piece);
   * await drain(chat.say("And its colour?"));   // knows what "its" refers to
   */
  static async open(parts: LlavaParts, image: ImageInput, options: AskOptions = {}): Promise<ImageChat> {
    const { processor, model } = parts;
    const first = await processor.process({ text: processor.config.imageToken, images: image });
    return new ImageChat(parts, image, model.imageFeatures(first.pixelValues!), options);
  }

  /** Streams the answer to the next question and adds both to the conversation. */
  async *say(question: string): AsyncGenerator<string, AskResult> {
    const startedAt = performance.now();
    const { processor } = this.parts;
    const asked: ChatMessage = { role: "user", content: this.messages.length === 0 ? [{ type: "image" }, { type: "text", text: question }] : [{ type: "text", text: question }] };
    const { inputIds } = await processor.process({ text: processor.applyChatTemplate([...this.messages, asked]), images: this.image });
    const result = yield* streamAnswer(this.parts, { inputIds, imageFeatures: this.imageFeatures }, this.options, startedAt);
    this.messages.push(asked, { role: "assistant", content: [{ type: "text", text: result.answer.trim() }] });
    return result;
  }
}
