/**
 * Training a byte-level BPE (GPT-2 style, as in minbpe) on a small corpus, written out as a
 * Hugging Face `tokenizer.json`. Used to give tiny test models a real tokenizer and to show
 * how BPE is learned: start from the 256 bytes, then repeatedly merge the most frequent
 * adjacent pair inside words.
 */
import { ArgumentError } from "../errors.js";
import { BYTE_ENCODER } from "./clip/byte-encoder.js";

export interface TrainBpeOptions {
  /** Total ids, special tokens included (ids not reached by training stay unused). */
  vocabSize: number;
  /** Special tokens at fixed ids, e.g. `[{ id: 1, content: "<s>" }]`. */
  specialTokens?: ReadonlyArray<{ id: number; content: string }>;
  /** A special token the post-processor puts before every encoded text (Llama's `<s>`). */
  bosToken?: string;
}

// GPT-2's word split, the one the ByteLevel pre-tokenizer applies when use_regex is true.
const WORDS = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/**
 * @example
 * const json = trainByteLevelBpe(["a cat sat on a mat"], { vocabSize: 300, specialTokens: [{ id: 299, content: "<s>" }] });
 * new PreTrainedTokenizer({ tokenizerJson: json, config: {}, origin: "trained" }).encode("a cat");
 */
export function trainByteLevelBpe(corpus: readonly string[], options: TrainBpeOptions): Record<string, unknown> {
  const specials = options.specialTokens ?? [];
  const specialIds = new Set(specials.map((s) => s.id));
  if (specials.some((s) => !Number.isInteger(s.id) || s.id < 0 || s.id >= options.vocabSize) || specialIds.size !== specials.length) {
    throw new ArgumentError(`trainByteLevelBpe: special token ids must be distinct integers in [0, ${options.vocabSize})`);
  }
  const room = options.vocabSize - specials.length - 256;
  if (room < 0) throw new ArgumentError(`trainByteLevelBpe: vocabSize ${options.vocabSize} leaves no room for the 256 byte tokens`);

  // Each distinct word as a list of symbols, with its count.
  const counts = new Map<string, number>();
  const utf8 = new TextEncoder();
  for (const text of corpus) {
    for (const [word] of text.matchAll(WORDS)) {
      const symbols = Array.from(utf8.encode(word), (b) => BYTE_ENCODER[b]).join("");
      counts.set(symbols, (counts.get(symbols) ?? 0) + 1);
    }
  }
  const words = [...counts].map(([w, n]) => ({ symbols: [...w], n }));

  const merges: Array<[string, string]> = [];
  while (merges.length < room) {
    const pairs = new Map<string, number>();
    for (const { symbols, n } of words) {
      for (let i = 0; i + 1 < symbols.length; i++) {
        const key = `${symbols[i]} ${symbols[i + 1]}`;
        pairs.set(key, (pairs.get(key) ?? 0) + n);
      }
    }
    let best: string | null = null;
    // Ties go to the pair seen first, so the result depends only on the corpus.
    for (const [key, n] of pairs) if (best === null || n > pairs.get(best)!) best = key;
    if (best === null) break;
    const [a, b] = best.split(" ") as [string, string];
    merges.push([a, b]);
    for (const word of words) {
      const out: string[] = [];
      for (let i = 0; i < word.symbols.length; i++) {
        if (word.symbols[i] === a && word.symbols[i + 1] === b) {
          out.push(a + b);
          i++;
        } else out.push(word.symbols[i]);
      }
      word.symbols = out;
    }
  }

  const vocab: Record<string, number> = {};
  let next = 0;
  for (const token of [...BYTE_ENCODER, ...merges.map(([a, b]) => a + b)]) {
    while (specialIds.has(next)) next++;
    vocab[token] = next++;
  }
  const bos = options.bosToken;
  if (bos !== undefined && !specials.some((s) => s.content === bos)) throw new ArgumentError(`trainByteLevelBpe: bosToken ${bos} is not one of the special tokens`);
  const bosId = specials.find((s) => s.content === bos)?.id;
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: specials.map((s) => ({ id: s.id, content: s.content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: null,
    pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: bos === undefined
      ? { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: true }
      : {
        type: "TemplateProcessing",
        single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
        pair: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }, { Sequence: { id: "B", type_id: 1 } }],
        special_tokens: { [bos]: { id: bos, ids: [bosId], tokens: [bos] } },
      },
    decoder: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
    model: { type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, vocab, merges: merges.map(([a, b]) => `${a} ${b}`) },
  };
}
