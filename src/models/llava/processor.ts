/**
 * LlavaProcessor: conversation -> prompt text (the folder's chat template), each `<image>`
 * placeholder -> one image token per image feature, text -> ids, images -> pixel values.
 * What transformers' LlavaProcessor does, so the same folder gives the same ids.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, ImageTokenError, TokenizerError } from "../../errors.js";
import { CLIPImageProcessor, type ImageInput } from "../../image/index.js";
import type { ResolveOptions } from "../../io/hub/index.js";
import { locateModel, readJsonObject } from "../../io/index.js";
import type { Tensor } from "../../tensor/index.js";
import { loadPreTrainedTokenizer } from "../../tokenizers/auto.js";
import { type ChatMessage, ChatTemplate, type ChatTemplateOptions } from "../../tokenizers/chat-template.js";
import type { PreTrainedTokenizer } from "../../tokenizers/pretrained.js";
import { parseLlavaConfig } from "./config.js";

/**
 * LLaVA-1.5's conversation format as llava-hf's chat_template.json writes it, for folders that
 * carry no template: "USER: <image>\nWhat is this? ASSISTANT:" (images first in a turn, each
 * text followed by a space, earlier answers included for multi-turn chats).
 */
export const LLAVA_15_TEMPLATE =
  "{% for message in messages %}{% if message['role'] != 'system' %}{{ message['role'].upper() + ': ' }}{% endif %}" +
  "{% if message['content'] is string %}{{ message['content'] + ' ' }}{% else %}" +
  "{% for content in message['content'] | selectattr('type', 'equalto', 'image') %}{{ image_token + '\n' }}{% endfor %}" +
  "{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}{{ content['text'] + ' ' }}{% endfor %}" +
  "{% endif %}{% endfor %}{% if add_generation_prompt %}{{ 'ASSISTANT:' }}{% endif %}";

export interface LlavaProcessorConfig {
  /** The placeholder string in prompt text ("<image>"). */
  imageToken: string;
  /** Its id, as the model's config names it (image_token_index). */
  imageTokenIndex: number;
  /** The vision tower's patch size: an H x W image gives (H/p)(W/p) features. */
  patchSize: number;
  /** vision_feature_select_strategy "full": the CLS token is a feature too. */
  keepCls: boolean;
}

export interface LlavaProcessorOptions extends ResolveOptions {
  /**
   * The original LLaVA's `image_aspect_ratio: "pad"`: pad images to a square with the mean
   * colour instead of cropping. Default: what config.json says (llava-hf folders crop).
   */
  padToSquare?: boolean;
}

export interface LlavaProcessorInput {
  /** One prompt per row, each `<image>` standing for the next image in `images`. */
  text: string | readonly string[];
  images?: ImageInput | readonly ImageInput[];
  /** Left-pad the rows to one length (attentionMask 0 there), as a batched forward needs. */
  padding?: boolean;
}

export interface LlavaProcessorOutput {
  /** Per row: token ids, the image placeholders expanded. */
  inputIds: number[][];
  /** Per row: 1 for a token, 0 for left padding. */
  attentionMask: number[][];
  /** [nImages, 3, H, W], or null without images. */
  pixelValues: Tensor | null;
}

/**
 * @example
 * const processor = await AutoProcessor.fromPretrained("llava-hf/llava-1.5-7b-hf");
 * const prompt = processor.applyChatTemplate([{ role: "user", content: [{ type: "image" }, { type: "text", text: "What is this?" }] }]);
 * const inputs = await processor.process({ text: prompt, images: "cat.jpg" });
 * model.generate(inputs, { maxNewTokens: 64, decoder: processor.tokenizer }).texts[0];
 */
export class LlavaProcessor {
  readonly chatTemplate: ChatTemplate;

  constructor(
    readonly tokenizer: PreTrainedTokenizer,
    readonly imageProcessor: CLIPImageProcessor,
    readonly config: LlavaProcessorConfig,
  ) {
    const id = tokenizer.tokenToId(config.imageToken);
    if (id !== config.imageTokenIndex) {
      throw new TokenizerError(
        `${tokenizer.origin}: the image token ${JSON.stringify(config.imageToken)} has id ${id ?? "none (not in the vocabulary)"}, ` +
          `but the model's image_token_index is ${config.imageTokenIndex}`,
      );
    }
    this.chatTemplate = tokenizer.chatTemplate ?? new ChatTemplate(LLAVA_15_TEMPLATE, "the default LLaVA-1.5 template");
  }

  /**
   * From a LLaVA model folder or Hub id: tokenizer.json (+ tokenizer_config.json, chat
   * template), preprocessor_config.json, and config.json for the image token and patch grid.
   */
  static async fromPretrained(source: string, options: LlavaProcessorOptions = {}): Promise<LlavaProcessor> {
    const { folder, config: raw, configFile } = await locateModel(source, options);
    const model = parseLlavaConfig(raw, configFile);
    const processorFile = join(folder, "processor_config.json");
    const processor = existsSync(processorFile) ? readJsonObject(processorFile) : {};
    const tokenizer = loadPreTrainedTokenizer(folder);
    const imageToken = typeof processor.image_token === "string" ? processor.image_token : tokenizer.idToToken(model.imageTokenIndex) ?? "<image>";
    const padToSquare = options.padToSquare ?? raw?.image_aspect_ratio === "pad";
    const imageProcessor = await CLIPImageProcessor.fromPretrained(folder, { padToSquare });
    return new LlavaProcessor(tokenizer, imageProcessor, {
      imageToken,
      imageTokenIndex: model.imageTokenIndex,
      patchSize: model.vision.patch_size,
      keepCls: model.keepCls,
    });
  }

  /** Image tokens one H x W image becomes. */
  numImageTokens(height: number, width: number): number {
    const { patchSize, keepCls } = this.config;
    return Math.floor(height / patchSize) * Math.floor(width / patchSize) + (keepCls ? 1 : 0);
  }

  /** The prompt text of a conversation; image blocks become the image placeholder. */
  applyChatTemplate(messages: readonly ChatMessage[], options: ChatTemplateOptions = {}): string {
    return this.tokenizer.applyChatTemplate(messages, {
      ...options,
      template: this.chatTemplate,
      variables: { image_token: this.config.imageToken, ...options.variables },
    });
  }

  /** Prompts and images -> model inputs; `model.generate(output)` takes them as they are. */
  async process(input: LlavaProcessorInput): Promise<LlavaProcessorOutput> {
    const texts = typeof input.text === "string" ? [input.text] : [...input.text];
    const images = input.images === undefined ? [] : Array.isArray(input.images) ? (input.images as ImageInput[]) : [input.images as ImageInput];
    const { imageToken, imageTokenIndex } = this.config;
    const placeholders = texts.map((t) => t.split(imageToken).length - 1);
    const total = placeholders.reduce((a, b) => a + b, 0);
    if (total !== images.length) {
      throw new ImageTokenError(
        `the prompt${texts.length > 1 ? "s have" : " has"} ${total} ${imageToken} placeholder(s) but ${images.length} image(s) were given; put one ${imageToken} per image`,
        total,
        images.length,
      );
    }
    const pixelValues = images.length ? await this.imageProcessor.preprocess(images) : null;
    const perImage = pixelValues ? this.numImageTokens(pixelValues.shape[2], pixelValues.shape[3]) : 0;
    const rows = texts.map((text, r) => {
      // As transformers does: repeat the placeholder in the text, then tokenize, so the ids
      // around it come out as the model saw them in training.
      const ids = this.tokenizer.encode(text.split(imageToken).join(imageToken.repeat(perImage)));
      const found = ids.filter((id) => id === imageTokenIndex).length;
      if (found !== placeholders[r] * perImage) {
        throw new TokenizerError(
          `prompt ${r}: ${placeholders[r]} image(s) should give ${placeholders[r] * perImage} image tokens (id ${imageTokenIndex}) but tokenizing gave ${found}; ` +
            `is ${JSON.stringify(imageToken)} an added token of ${this.tokenizer.origin}/tokenizer.json?`,
        );
      }
      return ids;
    });
    if (!input.padding) return { inputIds: rows, attentionMask: rows.map((r) => r.map(() => 1)), pixelValues };
    const width = Math.max(...rows.map((r) => r.length));
    const pad = this.tokenizer.padTokenId ?? 0;
    return {
      inputIds: rows.map((r) => [...new Array<number>(width - r.length).fill(pad), ...r]),
      attentionMask: rows.map((r) => [...new Array<number>(width - r.length).fill(0), ...r.map(() => 1)]),
      pixelValues,
    };
  }

  /** Text of generated ids (special tokens skipped): the processor can be the decoder. */
  decode(ids: readonly number[]): string {
    return this.tokenizer.decode(ids);
  }
}

export const AutoProcessor = {
  /**
   * The processor a model folder describes (LLaVA for now).
   *
   * @example
   * const processor = await AutoProcessor.fromPretrained("llava-hf/llava-1.5-7b-hf");
   */
  async fromPretrained(source: string, options: LlavaProcessorOptions = {}): Promise<LlavaProcessor> {
    const { folder, config, configFile } = await locateModel(source, options);
    const type = config?.model_type;
    if (type !== "llava") throw new ConfigError(configFile, `no processor for model_type ${JSON.stringify(type)} (supported: llava)`);
    return LlavaProcessor.fromPretrained(folder, options);
  },
};
