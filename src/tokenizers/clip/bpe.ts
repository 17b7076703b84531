import { TokenizerError } from "../../errors.js";
import { encodeBytes } from "./byte-encoder.js";

/** The suffix CLIP's BPE puts on the last symbol of every word. */
export const END_OF_WORD = "</w>";

// Long-running processes (a server embedding user queries) would otherwise grow the cache
// without bound; a caption vocabulary fits easily below this.
const CACHE_LIMIT = 100_000;

/**
 * Byte-level BPE with `</w>` word ends, as the original `SimpleTokenizer.bpe`: a word's UTF-8
 * bytes, written in the byte alphabet (see byte-encoder.ts), are merged by repeatedly joining
 * every occurrence of the lowest-ranked adjacent pair until no ranked pair remains.
 * Results are cached per word, before byte encoding, which costs as much as a cache lookup.
 */
export class BytePairEncoder {
  private readonly ranks: Map<string, number>;
  private readonly cache = new Map<string, readonly number[]>();

  constructor(
    private readonly vocab: ReadonlyMap<string, number>,
    merges: readonly (readonly [string, string])[],
  ) {
    this.ranks = new Map();
    // A repeated merge keeps its later rank, as the original's dict(zip(merges, ranks)).
    merges.forEach(([a, b], rank) => this.ranks.set(pairKey(a, b), rank));
  }

  /** Token ids of one word, as split by the CLIP pattern. */
  encodeWord(word: string): readonly number[] {
    const cached = this.cache.get(word);
    if (cached) return cached;
    const ids = this.merge(encodeBytes(word)).map((symbol) => {
      const id = this.vocab.get(symbol);
      if (id === undefined) {
        throw new TokenizerError(`BPE symbol ${JSON.stringify(symbol)} is not in the vocabulary`);
      }
      return id;
    });
    if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(word, ids);
    return ids;
  }

  private merge(word: string): string[] {
    let symbols = [...word.slice(0, -1), word.slice(-1) + END_OF_WORD];
    while (symbols.length > 1) {
      let best = Infinity;
      let first = "";
      let second = "";
      for (let i = 0; i + 1 < symbols.length; i++) {
        const rank = this.ranks.get(pairKey(symbols[i]!, symbols[i + 1]!));
        if (rank !== undefined && rank < best) {
          best = rank;
          first = symbols[i]!;
          second = symbols[i + 1]!;
        }
      }
      if (best === Infinity) break;
      const merged: string[] = [];
      for (let i = 0; i < symbols.length; i++) {
        if (symbols[i] === first && symbols[i + 1] === second) {
          merged.push(first + second);
          i++;
        } else {
          merged.push(symbols[i]!);
        }
      }
      symbols = merged;
    }
    return symbols;
  }
}

// No symbol contains a space (the byte alphabet maps it to "Ġ"), so this key is unambiguous.
function pairKey(a: string, b: string): string {
  return `${a} ${b}`;
}
