/**
 * Tokenizers described by a Hugging Face `tokenizer.json` (Llama 2's SentencePiece-style BPE
 * with byte fallback, Llama 3's and Qwen's byte-level BPE, Mistral, ...), run by
 * @huggingface/tokenizers, plus what `tokenizer_config.json` adds: the special tokens by role
 * and the chat template.
 */
import { Tokenizer } from "@huggingface/tokenizers";
import { TokenizerError } from "../errors.js";
import { type ChatMessage, ChatTemplate, type ChatTemplateOptions } from "./chat-template.js";

export interface EncodeOptions {
  /** Add what the file's post-processor adds (Llama's `<s>`); default true. */
  addSpecialTokens?: boolean;
}

export interface DecodeTextOptions {
  /** Drop special tokens (`<s>`, `</s>`, `<|im_end|>`...); default true, as generation wants. */
  skipSpecialTokens?: boolean;
}

/** The parsed tokenizer files; `origin` names them in errors. */
export interface TokenizerFiles {
  tokenizerJson: Record<string, unknown>;
  config: Record<string, unknown>;
  /** A template from elsewhere (chat_template.json / .jinja) overriding the config's. */
  chatTemplate?: string | null;
  origin: string;
}

const ROLES = ["bos", "eos", "unk", "pad"] as const;
type Role = (typeof ROLES)[number];

/**
 * @example
 * const tok = await AutoTokenizer.fromPretrained("TinyLlama/TinyLlama-1.1B-Chat-v1.0");
 * tok.encode("Hello world");          // [1, 15043, 3186]
 * tok.decode([1, 15043, 3186]);       // "Hello world"
 * tok.applyChatTemplate([{ role: "user", content: "Hi" }]);   // "<|user|>\nHi</s>\n<|assistant|>\n"
 */
export class PreTrainedTokenizer {
  readonly origin: string;
  readonly bosToken: string | null;
  readonly eosToken: string | null;
  readonly unkToken: string | null;
  readonly padToken: string | null;
  readonly bosTokenId: number | null;
  readonly eosTokenId: number | null;
  readonly unkTokenId: number | null;
  readonly padTokenId: number | null;
  /** The default chat template, or null when the files carry none. */
  readonly chatTemplate: ChatTemplate | null;
  private readonly tokenizer: Tokenizer;

  constructor(files: TokenizerFiles) {
    this.origin = files.origin;
    try {
      this.tokenizer = new Tokenizer(files.tokenizerJson, files.config);
    } catch (err) {
      throw new TokenizerError(`${files.origin}: cannot build the tokenizer: ${(err as Error).message}`);
    }
    const tokens = {} as Record<Role, string | null>;
    const ids = {} as Record<Role, number | null>;
    for (const role of ROLES) {
      const token = tokenContent(files.config[`${role}_token`]);
      const id = token === null ? null : this.tokenizer.token_to_id(token) ?? null;
      if (token !== null && id === null) throw new TokenizerError(`${files.origin}: ${role}_token ${JSON.stringify(token)} is not in the vocabulary`);
      tokens[role] = token;
      ids[role] = id;
    }
    ({ bos: this.bosToken, eos: this.eosToken, unk: this.unkToken, pad: this.padToken } = tokens);
    ({ bos: this.bosTokenId, eos: this.eosTokenId, unk: this.unkTokenId, pad: this.padTokenId } = ids);
    const template = files.chatTemplate ?? defaultTemplate(files.config.chat_template);
    this.chatTemplate = template ? new ChatTemplate(template, files.origin) : null;
  }

  /** Number of ids, added tokens included. */
  get vocabSize(): number {
    return this.tokenizer.get_vocab(true).size;
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: options.addSpecialTokens ?? true }).ids;
  }

  /** Token strings of a text (`▁Hello`, `Ġworld`), for debugging prompts. */
  tokenize(text: string, options: EncodeOptions = {}): string[] {
    return this.tokenizer.encode(text, { add_special_tokens: options.addSpecialTokens ?? true }).tokens;
  }

  decode(ids: readonly number[], options: DecodeTextOptions = {}): string {
    // The library refuses an empty list; generation decodes one before the first token.
    if (ids.length === 0) return "";
    return this.tokenizer.decode([...ids], { skip_special_tokens: options.skipSpecialTokens ?? true });
  }

  tokenToId(token: string): number | null {
    return this.tokenizer.token_to_id(token) ?? null;
  }

  idToToken(id: number): string | null {
    return this.tokenizer.id_to_token(id) ?? null;
  }

  /**
   * The prompt text for a conversation, by the files' chat template (or `template`).
   *
   * @example
   * tok.applyChatTemplate([{ role: "user", content: "Hi" }], { addGenerationPrompt: true });
   */
  applyChatTemplate(messages: readonly ChatMessage[], options: ChatTemplateOptions & { template?: ChatTemplate } = {}): string {
    const template = options.template ?? this.chatTemplate;
    if (!template) {
      throw new TokenizerError(`${this.origin}: no chat template (tokenizer_config.json has no "chat_template", and there is no chat_template.json)`);
    }
    return template.render(messages, { ...options, variables: { ...this.templateVariables(), ...options.variables } });
  }

  /** What transformers hands every template: the special tokens by name. */
  templateVariables(): Record<string, unknown> {
    return { bos_token: this.bosToken ?? "", eos_token: this.eosToken ?? "", unk_token: this.unkToken ?? "", pad_token: this.padToken ?? "" };
  }
}

/** tokenizer_config stores a token as a string or as an AddedToken object `{content, ...}`. */
function tokenContent(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (value && typeof value === "object" && typeof (value as { content?: unknown }).content === "string") return (value as { content: string }).content;
  return null;
}

/** `chat_template` is a string, or a list of named templates of which "default" is used. */
function defaultTemplate(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) {
    const named = value.find((t) => t && typeof t === "object" && (t as { name?: unknown }).name === "default") as { template?: unknown } | undefined;
    return typeof named?.template === "string" ? named.template : null;
  }
  return null;
}
