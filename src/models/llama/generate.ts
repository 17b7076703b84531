/**
 * Autoregressive generation with a KV cache: one prefill pass over the (left-padded) prompts,
 * then one single-position decode pass per new token. Rows of a batch finish independently;
 * a finished row is fed padding until every row is done, as transformers does.
 */
import { ArgumentError, ContextLengthError, ShapeError } from "../../errors.js";
import { Generator as RandomStream, Tensor, concat, defaultGenerator, zeros } from "../../tensor/index.js";
import { eosTokenIds } from "./config.js";
import type { LlamaForCausalLM } from "./model.js";
import { type SamplingOptions, argmax, logitsProcessors, sample } from "./sampling.js";

/** Turns token ids into text (a tokenizer's decode, skipping special tokens). */
export interface TokenDecoder {
  decode(ids: readonly number[]): string;
}

export interface GenerateOptions extends SamplingOptions {
  /** New tokens per row at most (default 32). */
  maxNewTokens?: number;
  /** Tokens that end a row (kept as its last token). Default: the config's eos_token_id; null for none. */
  eosTokenId?: number | readonly number[] | null;
  /** Texts that end a row once its decoded output contains one; needs `decoder`. */
  stopStrings?: readonly string[];
  /** For stop strings, `texts` in the result, and streaming. */
  decoder?: TokenDecoder;
  /** Seeds a fresh random stream for sampling (same seed, same tokens). */
  seed?: number;
  /** A random stream to draw from instead (default: the library's default stream). */
  generator?: RandomStream;
  /** Fills left padding; never attended to. Default: config pad_token_id, else 0. */
  padTokenId?: number;
}

export interface GenerateInput {
  /** One prompt per row, unpadded; rows may differ in length. */
  inputIds: readonly (readonly number[])[];
  /** Per row, input vectors [L_b, D] to use instead of embedding the ids (LLaVA's merged image features). */
  inputsEmbeds?: readonly Tensor[];
}

/** eos token, stop string, maxNewTokens reached, or the context window full. */
export type FinishReason = "eos" | "stop" | "length" | "context";

export interface GenerateResult {
  /** Per row: prompt then generated tokens, unpadded (HF's sequences). */
  sequences: number[][];
  /** Per row: the generated tokens alone. */
  tokens: number[][];
  /** Per row, when a decoder was given: the generated text, ending before any stop string. */
  texts: string[] | null;
  finishReasons: FinishReason[];
}

/** What one decode step produced: per row the new token (null once finished) and new text. */
export interface GenerateStep {
  tokens: Array<number | null>;
  pieces: string[];
}

/** Per-row text bookkeeping: what has been released, and where a stop string cut it. */
class TextTracker {
  released = "";
  constructor(
    private readonly decoder: TokenDecoder,
    private readonly stops: readonly string[],
  ) {}

  /**
   * Decodes the row's tokens; returns the newly releasable text and whether a stop string
   * appeared. Text that might still become a stop string, or is an incomplete UTF-8
   * character (U+FFFD at the end), is held back until the row finishes.
   */
  update(tokens: readonly number[], final: boolean): { piece: string; stopped: boolean } {
    const text = this.decoder.decode(tokens);
    let cut = -1;
    for (const s of this.stops) {
      const at = text.indexOf(s);
      if (at >= 0 && (cut < 0 || at < cut)) cut = at;
    }
    let end = text.length;
    if (cut >= 0) end = cut;
    else if (!final) end -= heldBack(text, this.stops);
    const visible = text.slice(0, Math.max(end, this.released.length));
    const piece = visible.slice(this.released.length);
    this.released = visible;
    return { piece, stopped: cut >= 0 };
  }
}

/** Characters at the end of `text` that may yet change: a partial character, a stop string's start. */
function heldBack(text: string, stops: readonly string[]): number {
  let hold = 0;
  while (hold < text.length && text[text.length - 1 - hold] === "\uFFFD") hold++;
  for (const s of stops) {
    for (let n = Math.min(s.length - 1, text.length); n > hold; n--) {
      if (text.endsWith(s.slice(0, n))) {
        hold = n;
        break;
      }
    }
  }
  return hold;
}

/**
 * The generation loop as a generator of steps (generate and stream are thin wrappers): its
 * return value is the full result.
 */
export function* generateSteps(lm: LlamaForCausalLM, input: GenerateInput, options: GenerateOptions = {}): Generator<GenerateStep, GenerateResult> {
  const c = lm.config;
  const prompts = input.inputIds.map((row) => [...row]);
  const b = prompts.length;
  if (b === 0) throw new ArgumentError("generate: no prompts");
  if (input.inputsEmbeds && input.inputsEmbeds.length !== b) {
    throw new ShapeError(`generate: ${input.inputsEmbeds.length} inputsEmbeds for ${b} prompts`);
  }
  const maxPos = c.max_position_embeddings;
  for (const [i, p] of prompts.entries()) {
    if (p.length === 0) throw new ArgumentError(`generate: prompt ${i} is empty`);
    if (p.length > maxPos) {
      throw new ContextLengthError(`prompt ${i} has ${p.length} tokens, longer than the model's context of ${maxPos} (max_position_embeddings)`, p.length, maxPos);
    }
  }
  if (options.stopStrings?.length && !options.decoder) throw new ArgumentError("generate: stopStrings need a decoder");
  const maxNew = options.maxNewTokens ?? 32;
  if (!(Number.isInteger(maxNew) && maxNew >= 0)) throw new ArgumentError(`maxNewTokens must be a non-negative integer, got ${maxNew}`);
  const eos = new Set(options.eosTokenId === undefined ? eosTokenIds(c) : options.eosTokenId === null ? [] : [options.eosTokenId].flat());
  const pad = options.padTokenId ?? c.pad_token_id ?? 0;
  const generator = options.generator ?? (options.seed !== undefined ? new RandomStream(options.seed) : defaultGenerator);
  const processors = logitsProcessors(options);
  const trackers = options.decoder ? prompts.map(() => new TextTracker(options.decoder!, options.stopStrings ?? [])) : null;

  const generated: number[][] = prompts.map(() => []);
  const finish: Array<FinishReason | null> = prompts.map(() => (maxNew === 0 ? "length" : null));
  const result = (): GenerateResult => ({
    sequences: prompts.map((p, i) => [...p, ...generated[i]]),
    tokens: generated,
    texts: trackers ? trackers.map((t) => t.released) : null,
    finishReasons: finish.map((f) => f ?? "length"),
  });
  if (maxNew === 0) return result();

  // Left padding: every row's last prompt token sits in the last column.
  const width = Math.max(...prompts.map((p) => p.length));
  const mask: number[][] = prompts.map((p) => [...new Array(width - p.length).fill(0), ...new Array(p.length).fill(1)]);
  const padded = prompts.map((p) => [...new Array(width - p.length).fill(pad), ...p]);
  let anyPadding = prompts.some((p) => p.length < width);
  const maskTensor = () => (anyPadding ? new Tensor(Int32Array.from(mask.flat()), [b, mask[0].length]) : undefined);
  const cache = lm.newCache(b);

  let logits = input.inputsEmbeds
    ? lm.nextLogits({
      inputsEmbeds: concat(input.inputsEmbeds.map((e, i) => leftPad(e, prompts[i].length, width, c.hidden_size, i)), 0), // [B, width, D]
      attentionMask: maskTensor(),
      cache,
    })
    : lm.nextLogits({ inputIds: idsTensor(padded), attentionMask: maskTensor(), cache }); // [B, V]

  const vocab = logits.shape[1];
  for (;;) {
    const step: GenerateStep = { tokens: [], pieces: [] };
    const scores = logits.f32();
    for (let i = 0; i < b; i++) {
      if (finish[i]) {
        step.tokens.push(null);
        step.pieces.push("");
        continue;
      }
      const row = scores.slice(i * vocab, (i + 1) * vocab);
      if (processors.length) {
        const history = [...prompts[i], ...generated[i]];
        for (const process of processors) process(row, history);
      }
      const token = options.doSample ? sample(row, generator) : argmax(row);
      generated[i].push(token);
      if (eos.has(token)) finish[i] = "eos";
      else if (generated[i].length >= maxNew) finish[i] = "length";
      else if (prompts[i].length + generated[i].length >= maxPos) finish[i] = "context";
      let piece = "";
      if (trackers) {
        const text = trackers[i].update(finish[i] === "eos" ? generated[i].slice(0, -1) : generated[i], finish[i] !== null);
        piece = text.piece;
        if (text.stopped) finish[i] = "stop";
      }
      step.tokens.push(token);
      step.pieces.push(piece);
    }
    yield step;
    if (finish.every((f) => f !== null)) return result();
    const next = step.tokens.map((t) => t ?? pad);
    // A finished row is fed padding, masked (HF marks it as a token): its outputs are unused,
    // and this way its positions stop growing, so it cannot overrun the context for the rest.
    mask.forEach((m, i) => m.push(step.tokens[i] === null ? 0 : 1));
    anyPadding ||= step.tokens.includes(null);
    logits = lm.nextLogits({ inputIds: idsTensor(next.map((t) => [t])), attentionMask: maskTensor(), cache });
  }
}

function idsTensor(rows: readonly number[][]): Tensor {
  return new Tensor(Int32Array.from(rows.flat()), [rows.length, rows[0].length]);
}

/** [L, D] (or [1, L, D]) -> [1, width, D] with zero vectors in front. */
function leftPad(e: Tensor, length: number, width: number, d: number, row: number): Tensor {
  if (e.size !== length * d) throw new ShapeError(`generate: inputsEmbeds[${row}] is [${e.shape}], expected [${length}, ${d}] for its ${length} ids`);
  const x = e.reshape(1, length, d);
  return width === length ? x : concat([zeros([1, width - length, d]), x], 1);
}

/**
 * Generates for every row of the batch (greedy by default).
 *
 * @example
 * const out = generate(lm, { inputIds: [[1, 450, 4996], [1, 15043]] }, { maxNewTokens: 20 });
 * out.tokens;   // the new tokens of each row; the same as generating each row alone
 * generate(lm, { inputIds: [prompt] }, { doSample: true, temperature: 0.7, topP: 0.9, seed: 42 });
 */
export function generate(lm: LlamaForCausalLM, input: GenerateInput, options: GenerateOptions = {}): GenerateResult {
  const steps = generateSteps(lm, input, options);
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

/**
 * Streams the text of a single prompt as it is generated; yields to the event loop between
 * tokens. The iterator's return value is the full result.
 *
 * @example
 * for await (const piece of streamGenerate(lm, { inputIds: [ids] }, { decoder: tokenizer })) {
 *   process.stdout.write(piece);
 * }
 */
export async function* streamGenerate(lm: LlamaForCausalLM, input: GenerateInput, options: GenerateOptions = {}): AsyncGenerator<string, GenerateResult> {
  if (!options.decoder) throw new ArgumentError("streamGenerate needs a decoder to turn tokens into text");
  if (input.inputIds.length !== 1) throw new ArgumentError(`streamGenerate takes one prompt, got ${input.inputIds.length}; use generate for batches`);
  const steps = generateSteps(lm, input, options);
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
    if (next.value.pieces[0]) yield next.value.pieces[0];
    await new Promise((resolve) => setImmediate(resolve));
  }
}
