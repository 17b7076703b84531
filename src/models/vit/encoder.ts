/**
 * The pre-LayerNorm transformer encoder shared by ViT, CLIP's image tower and CLIP's text
 * tower, with Hugging Face CLIP field names (`layers.0.self_attn.q_proj`, `layer_norm1`, ...).
 */
import { type ActivationName, LayerNorm, MLP, Module, ModuleList, MultiheadAttention } from "../../nn/index.js";
import { type Tensor, add } from "../../tensor/index.js";

export interface EncoderConfig {
  hidden_size: number;
  intermediate_size: number;
  num_attention_heads: number;
  num_hidden_layers: number;
  hidden_act: ActivationName;
  layer_norm_eps: number;
}

export interface EncoderForwardOptions {
  /** Additive attention mask broadcastable to [B, H, L, L] (padding). */
  mask?: Tensor | null;
  causal?: boolean;
  /** Collects the input and the output of every layer (HF `hidden_states`). */
  hiddenStates?: Tensor[];
  /** Stop after this many layers (LLaVA reads a middle layer and needs no more). */
  numLayers?: number;
}

export class EncoderLayer extends Module {
  self_attn: MultiheadAttention;
  layer_norm1: LayerNorm;
  mlp: MLP;
  layer_norm2: LayerNorm;

  constructor(c: EncoderConfig) {
    super();
    this.self_attn = new MultiheadAttention(c.hidden_size, c.num_attention_heads);
    this.layer_norm1 = new LayerNorm(c.hidden_size, { eps: c.layer_norm_eps });
    this.mlp = new MLP(c.hidden_size, c.intermediate_size, { act: c.hidden_act });
    this.layer_norm2 = new LayerNorm(c.hidden_size, { eps: c.layer_norm_eps });
  }

  /** x [B, L, D] -> [B, L, D]. */
  forward(x: Tensor, options: EncoderForwardOptions = {}): Tensor {
    const h = add(x, this.self_attn.forward(this.layer_norm1.forward(x), { mask: options.mask, causal: options.causal }));
    return add(h, this.mlp.forward(this.layer_norm2.forward(h)));
  }
}

export class Encoder extends Module {
  layers: ModuleList<EncoderLayer>;

  constructor(c: EncoderConfig) {
    super();
    this.layers = new ModuleList(Array.from({ length: c.num_hidden_layers }, () => new EncoderLayer(c)));
  }

  forward(x: Tensor, options: EncoderForwardOptions = {}): Tensor {
    const n = Math.min(options.numLayers ?? this.layers.length, this.layers.length);
    options.hiddenStates?.push(x);
    let h = x;
    for (let i = 0; i < n; i++) {
      h = this.layers.at(i).forward(h, options);
      options.hiddenStates?.push(h);
    }
    return h;
  }
}
