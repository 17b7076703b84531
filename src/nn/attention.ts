import { ArgumentError, ShapeError } from "../errors.js";
import {
  type Generator, Tensor, add, attentionPackedHeads, causalMask, defaultGenerator, dropout, matmul, mul, permute, softmax,
} from "../tensor/index.js";
import { formatShape } from "../tensor/shape.js";
import { Linear } from "./linear.js";
import { Module } from "./module.js";

export interface MultiheadAttentionOptions {
  /** Biases on the four projections: default true (CLIP, ViT). */
  bias?: boolean;
  /** Dropout on the attention probabilities while training (HF `attention_dropout`). */
  dropout?: number;
  /** Default for `forward`'s `causal` (a text encoder / decoder). */
  causal?: boolean;
  /** Key/value input size when it differs from embedDim (cross-attention). */
  kvDim?: number;
  generator?: Generator;
}

export interface AttentionForwardOptions {
  /** Additive mask broadcastable to [B, H, Lq, Lk]: 0 keeps, -Infinity hides (padding). */
  mask?: Tensor | null;
  /** Overrides the module's default. */
  causal?: boolean;
  /** Keys and values come from here [B, Lk, kvDim] instead of x (cross-attention). */
  context?: Tensor;
}

/**
 * Multi-head attention in the Hugging Face CLIP / ViT layout: separate `q_proj`, `k_proj`,
 * `v_proj` and `out_proj` Linear layers, so the keys read `self_attn.q_proj.weight`. Uses
 * the fused attention kernels (`attentionPackedHeads`, forward and backward) unless attention
 * dropout is active while training.
 *
 * @example
 * const attn = new MultiheadAttention(768, 12);
 * attn.forward(x);                       // [B, N, 768] -> [B, N, 768]
 * attn.forward(x, { causal: true, mask: padding });
 */
export class MultiheadAttention extends Module {
  k_proj: Linear;
  v_proj: Linear;
  q_proj: Linear;
  out_proj: Linear;
  readonly embedDim: number;
  readonly numHeads: number;
  readonly headDim: number;
  readonly dropout: number;
  readonly causal: boolean;
  private readonly _generator: Generator;

  constructor(embedDim: number, numHeads: number, options: MultiheadAttentionOptions = {}) {
    super();
    if (!(Number.isInteger(numHeads) && numHeads > 0) || embedDim % numHeads !== 0) {
      throw new ArgumentError(`MultiheadAttention: embed_dim ${embedDim} must be divisible by num_heads ${numHeads}`);
    }
    this.embedDim = embedDim;
    this.numHeads = numHeads;
    this.headDim = embedDim / numHeads;
    this.dropout = options.dropout ?? 0;
    this.causal = options.causal ?? false;
    this._generator = options.generator ?? defaultGenerator;
    const lin = { bias: options.bias, generator: options.generator };
    const kvDim = options.kvDim ?? embedDim;
    // HF CLIPAttention declares k, v, q, out in this order; keep it so state dicts list alike.
    this.k_proj = new Linear(kvDim, embedDim, lin);
    this.v_proj = new Linear(kvDim, embedDim, lin);
    this.q_proj = new Linear(embedDim, embedDim, lin);
    this.out_proj = new Linear(embedDim, embedDim, lin);
  }

  /** [B, L, D] -> [B, H, L, hd] */
  private heads(x: Tensor, b: number, l: number): Tensor {
    return permute(x.reshape(b, l, this.numHeads, this.headDim), [0, 2, 1, 3]);
  }

  /** x [B, Lq, D] -> [B, Lq, D]. */
  forward(x: Tensor, options: AttentionForwardOptions = {}): Tensor {
    if (x.ndim !== 3 || x.shape[2] !== this.embedDim) {
      throw new ShapeError(`MultiheadAttention: input must be [B, L, ${this.embedDim}], got ${formatShape(x.shape)}`);
    }
    const ctx = options.context ?? x;
    const [b, lq] = x.shape;
    const lk = ctx.shape[1];
    if (ctx.ndim !== 3 || ctx.shape[0] !== b) throw new ShapeError(`MultiheadAttention: context ${formatShape(ctx.shape)} does not match batch ${b}`);
    const q = this.q_proj.forward(x); // [B, Lq, D]: H heads of hd side by side
    const k = this.k_proj.forward(ctx); // [B, Lk, D]
    const v = this.v_proj.forward(ctx);
    const causal = options.causal ?? this.causal;
    let merged: Tensor; // [B, Lq, D]
    if (this.training && this.dropout > 0) {
      // Dropout on the probabilities needs the unfused composition over [B, H, L, hd].
      const [qh, kh, vh] = [this.heads(q, b, lq), this.heads(k, b, lk), this.heads(v, b, lk)];
      let scores = mul(matmul(qh, kh, { transB: true }), 1 / Math.sqrt(this.headDim)); // [B, H, Lq, Lk]
      if (options.mask) scores = add(scores, options.mask);
      if (causal) scores = add(scores, causalMask(lq, lk));
      const o = matmul(dropout(softmax(scores, -1), this.dropout, true, this._generator), vh); // [B, H, Lq, hd]
      merged = permute(o, [0, 2, 1, 3]).reshape(b, lq, this.embedDim);
    } else {
      // Fused, and on backends that read packed heads in place, without permute copies.
      merged = attentionPackedHeads(q, k, v, this.numHeads, this.numHeads, { mask: options.mask, causal });
    }
    return this.out_proj.forward(merged);
  }
}
