/**
 * The Llama decoder (Touvron et al. 2023) in the Hugging Face LlamaForCausalLM layout, which
 * Mistral and Qwen2 share: pre-RMSNorm blocks of grouped-query attention with rotary positions
 * and a SwiGLU MLP; a final RMSNorm; a vocabulary head, tied to the embeddings or not.
 */
import { ContextLengthError, ShapeError } from "../../errors.js";
import { type Checkpoint, type ModelSource, openModelSource } from "../../io/index.js";
import { type Embedding, type Linear, Module, ModuleList, type ParamSource, ParamScope, RMSNorm, type Weight, randomSource } from "../../nn/index.js";
import {
  Tensor, add, mul, noGrad, permute, scaledDotProductAttention, silu, slice,
} from "../../tensor/index.js";
import { type PretrainedOptions, requireConfig } from "../pretrained.js";
import { type LlamaConfig, parseLlamaConfig } from "./config.js";
import { llamaKey } from "./convert.js";
import { KVCache } from "./kv-cache.js";
import { type RotaryTables, applyRotary, inverseFrequencies, rotaryTables } from "./rope.js";

/** What every layer of one forward pass shares. */
interface PassContext {
  rope: RotaryTables;
  /** Additive [B, 1, L, T] mask when padding or a sliding window is involved, else null. */
  mask: Tensor | null;
  cache: KVCache | undefined;
}

function rmsNorm(p: ParamScope, c: LlamaConfig): RMSNorm {
  const norm = new RMSNorm(c.hidden_size, { eps: c.rms_norm_eps });
  norm.weight = p.float32("weight", [c.hidden_size], "ones");
  return norm;
}

export class LlamaAttention extends Module {
  q_proj: Linear<Weight>;
  k_proj: Linear<Weight>;
  v_proj: Linear<Weight>;
  o_proj: Linear<Weight>;
  private readonly _c: LlamaConfig;
  private readonly _layer: number;

  constructor(p: ParamScope, c: LlamaConfig, layer: number) {
    super();
    this._c = c;
    this._layer = layer;
    const d = c.hidden_size;
    const hd = c.head_dim;
    this.q_proj = p.linear("q_proj", d, c.num_attention_heads * hd, { bias: c.qkvBias });
    this.k_proj = p.linear("k_proj", d, c.num_key_value_heads * hd, { bias: c.qkvBias });
    this.v_proj = p.linear("v_proj", d, c.num_key_value_heads * hd, { bias: c.qkvBias });
    this.o_proj = p.linear("o_proj", c.num_attention_heads * hd, d, { bias: c.outputBias });
  }

  /** x [B, L, D] -> [B, L, D]. */
  forward(x: Tensor, ctx: PassContext): Tensor {
    const [b, l] = x.shape;
    const { num_attention_heads: h, num_key_value_heads: hkv, head_dim: hd } = this._c;
    const heads = (t: Tensor, n: number) => permute(t.reshape(b, l, n, hd), [0, 2, 1, 3]);
    const q = applyRotary(heads(this.q_proj.forward(x), h), ctx.rope); // [B, H, L, hd]
    let k = applyRotary(heads(this.k_proj.forward(x), hkv), ctx.rope); // [B, Hkv, L, hd]
    let v = heads(this.v_proj.forward(x), hkv); // [B, Hkv, L, hd]
    if (ctx.cache) ({ k, v } = ctx.cache.append(this._layer, k, v)); // [B, Hkv, T, hd]
    // Grouped-query attention: each key/value head serves H / Hkv query heads.
    const o = ctx.mask
      ? scaledDotProductAttention(q, k, v, { mask: ctx.mask })
      : scaledDotProductAttention(q, k, v, { causal: true }); // [B, H, L, hd]
    return this.o_proj.forward(permute(o, [0, 2, 1, 3]).reshape(b, l, h * hd)); // [B, L, D]
  }
}

/** SwiGLU: down(silu(gate(x)) * up(x)). */
export class LlamaMLP extends Module {
  gate_proj: Linear<Weight>;
  up_proj: Linear<Weight>;
  down_proj: Linear<Weight>;

  constructor(p: ParamScope, c: LlamaConfig) {
    super();
    const bias = c.mlp_bias;
    this.gate_proj = p.linear("gate_proj", c.hidden_size, c.intermediate_size, { bias });
    this.up_proj = p.linear("up_proj", c.hidden_size, c.intermediate_size, { bias });
    this.down_proj = p.linear("down_proj", c.intermediate_size, c.hidden_size, { bias });
  }

  forward(x: Tensor): Tensor {
    return this.down_proj.forward(mul(silu(this.gate_proj.forward(x)), this.up_proj.forward(x)));
  }
}

export class LlamaDecoderLayer extends Module {
  self_attn: LlamaAttention;
  mlp: LlamaMLP;
  input_layernorm: RMSNorm;
  post_attention_layernorm: RMSNorm;

  constructor(p: ParamScope, c: LlamaConfig, layer: number) {
    super();
    this.self_attn = new LlamaAttention(p.child("self_attn"), c, layer);
    this.mlp = new LlamaMLP(p.child("mlp"), c);
    this.input_layernorm = rmsNorm(p.child("input_layernorm"), c);
    this.post_attention_layernorm = rmsNorm(p.child("post_attention_layernorm"), c);
  }

  forward(x: Tensor, ctx: PassContext): Tensor {
    const h = add(x, this.self_attn.forward(this.input_layernorm.forward(x), ctx)); // [B, L, D]
    return add(h, this.mlp.forward(this.post_attention_layernorm.forward(h))); // [B, L, D]
  }
}

export interface LMForwardOptions {
  /** Token ids [B, L] (int32 or int64); or give `inputsEmbeds`. */
  inputIds?: Tensor;
  /** Input vectors [B, L, D] instead of ids (LLaVA puts image features among them). */
  inputsEmbeds?: Tensor;
  /**
   * HF's attention_mask over past and new positions, [B, T]: 1 for tokens, 0 for (left)
   * padding. Positions are counted over the 1s, so a padded row gets the same positions, and
   * the same logits, as the row alone. Default: all ones.
   */
  attentionMask?: Tensor;
  /** Keys and values of earlier tokens; this pass appends its own. */
  cache?: KVCache;
  /** "last": logits of the final position only, [B, 1, V] (what generation needs). */
  logits?: "all" | "last";
}

export class LlamaModel extends Module {
  embed_tokens: Embedding<Weight>;
  layers: ModuleList<LlamaDecoderLayer>;
  norm: RMSNorm;
  private readonly _c: LlamaConfig;
  private readonly _invFreq: Float32Array;

  constructor(p: ParamScope, c: LlamaConfig) {
    super();
    this._c = c;
    this._invFreq = inverseFrequencies(c);
    this.embed_tokens = p.embedding("embed_tokens", c.vocab_size, c.hidden_size);
    this.layers = new ModuleList(Array.from({ length: c.num_hidden_layers }, (_, i) => new LlamaDecoderLayer(p.child(`layers.${i}`), c, i)));
    this.norm = rmsNorm(p.child("norm"), c);
  }

  /** embeds [B, L, D] -> final hidden states [B, L, D]. */
  forward(embeds: Tensor, options: Pick<LMForwardOptions, "attentionMask" | "cache"> = {}): Tensor {
    const [b, l] = embeds.shape;
    const past = options.cache?.length ?? 0;
    const keep = options.attentionMask ? maskRows(options.attentionMask, b, past + l) : null;
    const positions = positionIds(keep, b, past, l);
    const maxPos = this._c.max_position_embeddings;
    const last = positions.reduce((m, p) => Math.max(m, p), 0);
    if (last >= maxPos) {
      throw new ContextLengthError(`sequence reaches position ${last}, past the model's context of ${maxPos} tokens (max_position_embeddings)`, last + 1, maxPos);
    }
    const ctx: PassContext = {
      rope: rotaryTables(this._invFreq, positions),
      mask: keep || this._c.window ? attentionMask(keep, b, past, l, this._c.window) : null,
      cache: options.cache,
    };
    let h = embeds;
    for (const layer of this.layers) h = layer.forward(h, ctx);
    return this.norm.forward(h);
  }
}

/**
 * LlamaForCausalLM: logits over the vocabulary for every position.
 *
 * @example
 * const lm = new LlamaForCausalLM(parseLlamaConfig({ hidden_size: 64, ... }));              // random
 * const trained = await LlamaForCausalLM.fromPretrained("TinyLlama/TinyLlama-1.1B-Chat-v1.0");
 * const logits = lm.forward({ inputIds: tensor([[1, 15043]], { dtype: "int32" }) });       // [1, 2, V]
 */
export class LlamaForCausalLM extends Module {
  /** Mistral and Qwen2 share the layout (config.ts turns their differences into options). */
  static readonly modelTypes = ["llama", "mistral", "qwen2"] as const;
  model: LlamaModel;
  lm_head: Linear<Weight>;
  readonly config: LlamaConfig;

  /**
   * `source` supplies the weights while the model is built (a checkpoint when loading, whose
   * keys are the model's own, under `prefix`); default: seeded random init.
   */
  constructor(config: LlamaConfig, source: ParamSource = randomSource(), prefix = "") {
    super();
    this.config = config;
    const p = new ParamScope(source, prefix);
    this.model = new LlamaModel(p.child("model"), config);
    this.lm_head = p.linear("lm_head", config.hidden_size, config.vocab_size, {
      bias: false,
      weight: config.tie_word_embeddings ? this.model.embed_tokens.weight : undefined,
    });
  }

  /**
   * Loads a causal LM (LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM) from a model
   * folder, Hub id or weights file with its config.json beside it. `dtype: "auto"` (default)
   * keeps F16/BF16 matrices 16-bit (inference); `"float32"` upcasts them (to train or export).
   *
   * @example
   * const lm = await LlamaForCausalLM.fromPretrained("TinyLlama/TinyLlama-1.1B-Chat-v1.0");
   * const trainable = await LlamaForCausalLM.fromPretrained("models/tiny-llama", { dtype: "float32" });
   */
  static async fromPretrained(source: string, options: PretrainedOptions = {}): Promise<LlamaForCausalLM> {
    return LlamaForCausalLM.fromSource(await openModelSource(source, options));
  }

  /** Builds the model from an opened source (see `openModelSource`), tensor by tensor. */
  static fromSource(source: ModelSource): LlamaForCausalLM {
    return source.checkpoint.rename(llamaKey).consume((checkpoint) => {
      const config = parseLlamaConfig(requireConfig(source, LlamaForCausalLM), source.configFile);
      return LlamaForCausalLM.fromCheckpoint(config, checkpoint);
    });
  }

  /**
   * The model built from a checkpoint whose keys (after its renaming) are the LM's own under
   * `prefix` (LLaVA's language model). Tied checkpoints sometimes store lm_head too: that copy
   * is ignored.
   */
  static fromCheckpoint(config: LlamaConfig, checkpoint: Checkpoint, prefix = ""): LlamaForCausalLM {
    const model = new LlamaForCausalLM(config, checkpoint, prefix);
    if (config.tie_word_embeddings) checkpoint.skip(new ParamScope(checkpoint, prefix).key("lm_head.weight"));
    return model.eval();
  }

  /** Token embeddings, [B, L] -> [B, L, D]. */
  embed(inputIds: Tensor): Tensor {
    return this.model.embed_tokens.forward(inputIds);
  }

  /** Logits [B, L, V] (or [B, 1, V] with `logits: "last"`). */
  forward(options: LMForwardOptions): Tensor {
    const embeds = options.inputsEmbeds ?? (options.inputIds ? this.embed(options.inputIds) : null);
    if (!embeds) throw new ShapeError("LlamaForCausalLM.forward: give inputIds or inputsEmbeds");
    if (embeds.ndim !== 3 || embeds.shape[2] !== this.config.hidden_size) {
      throw new ShapeError(`LlamaForCausalLM.forward: inputs embed to [${embeds.shape}], expected [B, L, ${this.config.hidden_size}]`);
    }
    let h = this.model.forward(embeds, options); // [B, L, D]
    if (options.logits === "last") h = slice(h, 1, h.shape[1] - 1); // [B, 1, D]
    return this.lm_head.forward(h); // [B, L, V]
  }

  /** An empty cache for `batch` rows. */
  newCache(batch: number): KVCache {
    const c = this.config;
    return new KVCache(c.num_hidden_layers, batch, c.num_key_value_heads, c.head_dim);
  }

  /** Next-token logits of the last position, no gradient: [B, V]. */
  nextLogits(options: Omit<LMForwardOptions, "logits">): Tensor {
    return noGrad(() => {
      const out = this.forward({ ...options, logits: "last" });
      return out.reshape(out.shape[0], out.shape[2]);
    });
  }
}

/** The mask as 0/1 bytes [B, T], checked against the sequence it describes. */
function maskRows(mask: Tensor, b: number, t: number): Uint8Array {
  if (mask.ndim !== 2 || mask.shape[0] !== b || mask.shape[1] !== t) {
    throw new ShapeError(`attentionMask [${mask.shape}] must be [batch, past + new] = [${b}, ${t}]`);
  }
  return Uint8Array.from(mask.data as ArrayLike<number | bigint>, (v) => (Number(v) !== 0 ? 1 : 0));
}

/**
 * Position of each new token, [B * L]: its index among the row's unmasked tokens, as HF's
 * cumsum(mask) - 1 (padding gets 1, which nothing reads).
 */
function positionIds(keep: Uint8Array | null, b: number, past: number, l: number): Int32Array {
  const out = new Int32Array(b * l);
  const t = past + l;
  for (let bi = 0; bi < b; bi++) {
    let seen = 0;
    for (let j = 0; j < t; j++) {
      const real = keep ? keep[bi * t + j] : 1;
      seen += real;
      if (j >= past) out[bi * l + j - past] = real ? seen - 1 : 1;
    }
  }
  return out;
}

/**
 * Additive mask [B, 1, L, T]: query i (cache index past + i) sees key j when j <= past + i,
 * j is a token (not padding) and, with a sliding window, lies fewer than `window` positions
 * back. A padding query sees itself only: its output is never read, but a fully masked row
 * would be NaN and NaN keys poison every later query's softmax even under -inf.
 */
function attentionMask(keep: Uint8Array | null, b: number, past: number, l: number, window: number | null): Tensor {
  const t = past + l;
  const data = new Float32Array(b * l * t).fill(-Infinity);
  for (let bi = 0; bi < b; bi++) {
    for (let i = 0; i < l; i++) {
      const qi = past + i;
      const row = (bi * l + i) * t;
      if (keep && !keep[bi * t + qi]) {
        data[row + qi] = 0;
        continue;
      }
      // Between two tokens of a left-padded row there is no padding, so cache distance is
      // position distance.
      const first = window ? Math.max(0, qi - window + 1) : 0;
      for (let j = first; j <= qi; j++) if (!keep || keep[bi * t + j]) data[row + j] = 0;
    }
  }
  return new Tensor(data, [b, 1, l, t]);
}
