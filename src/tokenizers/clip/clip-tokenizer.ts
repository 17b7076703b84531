import { ArgumentError, FileFormatError, TokenizerError } from "../../errors.js";
import { BytePairEncoder, END_OF_WORD } from "./bpe.js";
import { BYTE_CHARS, BYTE_DECODER } from "./byte-encoder.js";
import { type ClipTokenizerFiles, EOT_TOKEN, SOT_TOKEN, loadClipTokenizerFiles } from "./load.js";
import { splitWords } from "./pretokenize.js";
import { normalizeText } from "./text-normalize.js";

export interface TokenizeOptions {
  /** Row length limit including SOT and EOT. Default 77. */
  contextLength?: number;
  /** Cut long texts to `contextLength`, keeping EOT last (default); false throws instead. */
  truncate?: boolean;
  /** "max_length" pads every row to `contextLength` (default), "longest" to the longest row. */
  padding?: "max_length" | "longest" | false;
  /** Overrides the tokenizer's `padTokenId`. */
  padTokenId?: number;
}

export interface TokenizedBatch {
  /** One row per text: SOT, tokens, EOT, then padding. */
  inputIds: number[][];
  /** 1 for SOT..EOT, 0 for padding. */
  attentionMask: number[][];
}

export interface DecodeOptions {
  /** Drop `<|startoftext|>` and `<|endoftext|>` (default false, as the original). */
  skipSpecialTokens?: boolean;
}

/**
 * The exact tokenizer of OpenAI CLIP (`clip.simple_tokenizer` + `clip.tokenize`), including
 * its `ftfy.fix_text` cleaning (reimplemented in ../ftfy).
 *
 * @example
 * const tok = await CLIPTokenizer.fromPretrained("models/clip-vit-base-patch32");
 * tok.encode("a photo of a cat");             // [320, 1125, 539, 320, 2368]
 * tok.tokenize(["a photo of a cat"]).inputIds; // [[49406, 320, 1125, 539, 320, 2368, 49407, pad...]]
 * tok.decode(tok.encode("A photo"));           // "a photo "
 */
export class CLIPTokenizer {
  readonly sotTokenId: number;
  readonly eotTokenId: number;
  /** The files' pad token; 0 when they name none, as the original `clip.tokenize`. */
  readonly padTokenId: number;
  /** Number of distinct tokens (49408 for CLIP). */
  readonly vocabSize: number;
  private readonly bpe: BytePairEncoder;
  private readonly tokens: string[] = [];

  constructor(files: ClipTokenizerFiles) {
    const { vocab, merges } = files;
    const required = [SOT_TOKEN, EOT_TOKEN, ...BYTE_CHARS, ...BYTE_CHARS.map((c) => c + END_OF_WORD)];
    for (const token of [...required, ...merges.map(([a, b]) => a + b)]) {
      if (!vocab.has(token)) throw new TokenizerError(`${JSON.stringify(token)} is not in the vocabulary`);
    }
    this.sotTokenId = vocab.get(SOT_TOKEN)!;
    this.eotTokenId = vocab.get(EOT_TOKEN)!;
    this.padTokenId = files.padTokenId ?? 0;
    this.vocabSize = vocab.size;
    for (const [token, id] of vocab) this.tokens[id] = token;
    this.bpe = new BytePairEncoder(vocab, merges);
  }

  /** Load from a model folder or a tokenizer file; see `loadClipTokenizerFiles`. */
  static async fromPretrained(folderOrFile: string): Promise<CLIPTokenizer> {
    const files = await loadClipTokenizerFiles(folderOrFile);
    try {
      return new CLIPTokenizer(files);
    } catch (error) {
      // An incomplete vocabulary is the files' fault: say which files.
      if (error instanceof TokenizerError) throw new FileFormatError(folderOrFile, error.message, { cause: error });
      throw error;
    }
  }

  /** Token ids of one text, without SOT/EOT. */
  encode(text: string): number[] {
    const ids: number[] = [];
    for (const word of splitWords(normalizeText(text))) {
      // Spelled-out special tokens in the text become the special ids, as in the original.
      if (word === SOT_TOKEN) ids.push(this.sotTokenId);
      else if (word === EOT_TOKEN) ids.push(this.eotTokenId);
      else for (const id of this.bpe.encodeWord(word)) ids.push(id);
    }
    return ids;
  }

  /**
   * Model inputs for a batch, as `clip.tokenize(texts, context_length, truncate)` plus a mask.
   *
   * @example
   * tok.tokenize(["a cat", "a photo of a dog"], { padding: "longest" }).inputIds;
   * // [[49406, 320, 2368, 49407, pad, pad, pad], [49406, 320, 1125, 539, 320, 1929, 49407]]
   */
  tokenize(texts: string | readonly string[], options: TokenizeOptions = {}): TokenizedBatch {
    const { contextLength = 77, truncate = true, padding = "max_length" } = options;
    const padTokenId = options.padTokenId ?? this.padTokenId;
    if (!Number.isInteger(contextLength) || contextLength < 2) {
      throw new ArgumentError(`contextLength must be an integer >= 2 (room for SOT and EOT), got ${contextLength}`);
    }
    const rows = (typeof texts === "string" ? [texts] : texts).map((text) => {
      const row = [this.sotTokenId, ...this.encode(text), this.eotTokenId];
      if (row.length <= contextLength) return row;
      if (!truncate) {
        const preview = text.length > 60 ? `${text.slice(0, 60)}...` : text;
        throw new TokenizerError(
          `${JSON.stringify(preview)} is ${row.length} tokens with SOT and EOT, more than contextLength ${contextLength} (truncate is false)`,
        );
      }
      row.length = contextLength;
      row[contextLength - 1] = this.eotTokenId;
      return row;
    });
    if (padding === false) {
      return { inputIds: rows, attentionMask: rows.map((row) => new Array<number>(row.length).fill(1)) };
    }
    const width = padding === "max_length" ? contextLength : rows.reduce((longest, row) => Math.max(longest, row.length), 0);
    const inputIds = rows.map((row) => {
      const padded = new Array<number>(width).fill(padTokenId);
      row.forEach((id, i) => (padded[i] = id));
      return padded;
    });
    const attentionMask = rows.map((row) => new Array<number>(width).fill(1, 0, row.length).fill(0, row.length));
    return { inputIds, attentionMask };
  }

  /** The BPE token strings of ids (`photo</w>`), as Hugging Face's `convert_ids_to_tokens`. */
  convertIdsToTokens(ids: readonly number[]): string[] {
    return ids.map((id) => {
      const token = this.tokens[id];
      if (token === undefined) throw new TokenizerError(`token id ${id} is not in the vocabulary`);
      return token;
    });
  }

  /**
   * Text of token ids, as the original `decode`: bytes back to UTF-8 (invalid sequences become
   * U+FFFD) and every `</w>` becomes a space, so words keep a trailing space.
   */
  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    let symbols = "";
    for (const id of ids) {
      if (options.skipSpecialTokens && (id === this.sotTokenId || id === this.eotTokenId)) continue;
      const token = this.tokens[id];
      if (token === undefined) throw new TokenizerError(`token id ${id} is not in the vocabulary`);
      symbols += token;
    }
    const bytes = Uint8Array.from(symbols, (ch) => {
      const byte = BYTE_DECODER.get(ch);
      if (byte === undefined) throw new TokenizerError(`${JSON.stringify(ch)} is not a byte-level BPE symbol`);
      return byte;
    });
    return UTF8.decode(bytes).replaceAll(END_OF_WORD, " ");
  }
}

// ignoreBOM: Python's "utf-8" codec keeps a leading U+FEFF; TextDecoder would drop it.
const UTF8 = new TextDecoder("utf-8", { ignoreBOM: true });
