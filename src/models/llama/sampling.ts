/**
 * Choosing the next token from one row of logits. The processors rewrite the logits in place
 * and follow transformers' definitions, in its order: repetition penalty, then temperature,
 * top-k, top-p, min-p; a removed token gets -Infinity.
 */
import { ArgumentError } from "../../errors.js";
import type { Generator } from "../../tensor/index.js";

export interface SamplingOptions {
  /** Sample instead of taking the most likely token (default false: greedy). */
  doSample?: boolean;
  /** Divides the logits; < 1 sharpens, > 1 flattens (default 1). Sampling only. */
  temperature?: number;
  /** Keep the k most likely tokens (0: off). Sampling only. */
  topK?: number;
  /** Keep the most likely tokens whose probabilities reach p together (1: off). Sampling only. */
  topP?: number;
  /** Drop tokens less likely than minP times the most likely one (0: off). Sampling only. */
  minP?: number;
  /** > 1 discourages tokens already in the sequence, prompt included (1: off). */
  repetitionPenalty?: number;
}

/** One in-place rewrite of a row of logits, given the row's tokens so far. */
export type LogitsProcessor = (logits: Float32Array, history: readonly number[]) => void;

/** HF's RepetitionPenaltyLogitsProcessor: positive logits divided, negative multiplied, once per distinct token. */
export function repetitionPenalty(penalty: number): LogitsProcessor {
  if (!(penalty > 0)) throw new ArgumentError(`repetitionPenalty must be > 0, got ${penalty}`);
  return (logits, history) => {
    for (const id of new Set(history)) {
      if (id < 0 || id >= logits.length) continue;
      const s = logits[id];
      logits[id] = s < 0 ? s * penalty : s / penalty;
    }
  };
}

export function temperature(t: number): LogitsProcessor {
  if (!(t > 0)) throw new ArgumentError(`temperature must be > 0 (use doSample: false for greedy), got ${t}`);
  return (logits) => {
    for (let i = 0; i < logits.length; i++) logits[i] /= t;
  };
}

/** Keeps every token whose logit reaches the k-th largest (ties at the boundary survive, as in HF). */
export function topK(k: number): LogitsProcessor {
  if (!(Number.isInteger(k) && k > 0)) throw new ArgumentError(`topK must be a positive integer, got ${k}`);
  return (logits) => {
    if (k >= logits.length) return;
    const kth = Float32Array.from(logits).sort().reverse()[k - 1];
    for (let i = 0; i < logits.length; i++) if (logits[i] < kth) logits[i] = -Infinity;
  };
}

/**
 * Nucleus sampling, as HF computes it: sort ascending, drop tokens whose cumulative probability
 * is <= 1 - p, always keeping the most likely one.
 */
export function topP(p: number): LogitsProcessor {
  if (!(p > 0 && p <= 1)) throw new ArgumentError(`topP must be in (0, 1], got ${p}`);
  return (logits) => {
    if (p === 1) return;
    const probs = softmaxOf(logits);
    const order = ascending(logits);
    let cumulative = 0;
    for (let r = 0; r < order.length - 1; r++) {
      cumulative += probs[order[r]];
      if (cumulative > 1 - p) break;
      logits[order[r]] = -Infinity;
    }
  };
}

/** Drops tokens with probability < minP * (top probability), keeping the most likely one. */
export function minP(m: number): LogitsProcessor {
  if (!(m >= 0 && m <= 1)) throw new ArgumentError(`minP must be in [0, 1], got ${m}`);
  return (logits) => {
    const probs = softmaxOf(logits);
    let top = 0;
    for (let i = 1; i < probs.length; i++) if (probs[i] > probs[top]) top = i;
    const threshold = m * probs[top];
    for (let i = 0; i < logits.length; i++) if (i !== top && probs[i] < threshold) logits[i] = -Infinity;
  };
}

/** The processors an options record asks for, in HF's order. Greedy decoding uses only the penalty. */
export function logitsProcessors(o: SamplingOptions): LogitsProcessor[] {
  const list: LogitsProcessor[] = [];
  if (o.repetitionPenalty !== undefined && o.repetitionPenalty !== 1) list.push(repetitionPenalty(o.repetitionPenalty));
  if (!o.doSample) return list;
  if (o.temperature !== undefined && o.temperature !== 1) list.push(temperature(o.temperature));
  if (o.topK) list.push(topK(o.topK));
  if (o.topP !== undefined && o.topP < 1) list.push(topP(o.topP));
  if (o.minP) list.push(minP(o.minP));
  return list;
}

/** Index of the largest logit (the first one on ties, as torch.argmax). */
export function argmax(logits: Float32Array): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  return best;
}

/** Draws a token from softmax(logits) with one uniform number from `generator`. */
export function sample(logits: Float32Array, generator: Generator): number {
  const probs = softmaxOf(logits);
  const u = generator.uniform();
  let cumulative = 0;
  let last = 0;
  for (let i = 0; i < probs.length; i++) {
    if (probs[i] === 0) continue;
    cumulative += probs[i];
    last = i;
    if (u < cumulative) return i;
  }
  // Rounding can leave the total a hair below u: the last possible token takes the rest.
  return last;
}

function softmaxOf(logits: Float32Array): Float64Array {
  let max = -Infinity;
  for (const v of logits) if (v > max) max = v;
  const out = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    out[i] = Math.exp(logits[i] - max);
    sum += out[i];
  }
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}

function ascending(logits: Float32Array): number[] {
  return Array.from(logits.keys()).sort((a, b) => logits[a] - logits[b] || a - b);
}
