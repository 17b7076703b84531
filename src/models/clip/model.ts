/**
 * CLIP (Radford et al. 2021) in the Hugging Face `CLIPModel` layout: an image tower (ViT) and
 * a causal text transformer, each projected into a shared space where a learned temperature
 * scales cosine similarities into logits.
 */
import { ShapeError } from "../../errors.js";
import { type Checkpoint, type ModelSource, openModelSource } from "../../io/index.js";
import { type ActivationName, Embedding, LayerNorm, Linear, Module, param } from "../../nn/index.js";
import {
  Tensor, add, argmax, div, exp, indexSelect, matmul, mul, noGrad, scalar, slice, sqrt, sum, transpose,
} from "../../tensor/index.js";
import { formatShape } from "../../tensor/shape.js";
import { Encoder } from "../vit/encoder.js";
import { VisionTransformer, type VisionForwardOptions } from "../vit/model.js";
import { type PretrainedOptions, requireConfig } from "../pretrained.js";
import { type CLIPConfig, type CLIPTextConfig, parseCLIPConfig } from "./config.js";
import { convertOpenAICLIP, inferOpenAICLIPConfig, isOpenAICLIPLayout, tidyHFCLIPKeys } from "./convert.js";

export interface CLIPLoadOptions extends PretrainedOptions {
  /**
   * Activation of a single OpenAI/open_clip file, which does not record it: OpenAI's
   * checkpoints use quick_gelu (the default); open_clip's own trainings mostly use gelu.
   */
  hiddenAct?: ActivationName;
}

/** Float32's lowest value: HF masks with it rather than -inf so no row is ever all-masked. */
const MASKED = -3.4028234663852886e38;

export class CLIPTextEmbeddings extends Module {
  token_embedding: Embedding;
  position_embedding: Embedding;

  constructor(c: CLIPTextConfig) {
    super();
    this.token_embedding = new Embedding(c.vocab_size, c.hidden_size);
    this.position_embedding = new Embedding(c.max_position_embeddings, c.hidden_size);
  }

  /** ids [B, L] -> [B, L, D]. */
  forward(ids: Tensor): Tensor {
    const length = ids.shape[1];
    const table = this.position_embedding.weight;
    if (length > table.shape[0]) {
      throw new ShapeError(`text of ${length} tokens is longer than the model's context of ${table.shape[0]}`);
    }
    return add(this.token_embedding.forward(ids), slice(table, 0, 0, length));
  }
}

export interface TextOutput {
  /** [B, L, D] after final_layer_norm. */
  lastHiddenState: Tensor;
  /** [B, D]: the final state at the end-of-text token. */
  pooled: Tensor;
}

/** CLIPTextTransformer: embeddings -> causal encoder -> final_layer_norm -> EOT pooling. */
export class CLIPTextTransformer extends Module {
  embeddings: CLIPTextEmbeddings;
  encoder: Encoder;
  final_layer_norm: LayerNorm;
  readonly config: CLIPTextConfig;

  constructor(c: CLIPTextConfig) {
    super();
    this.config = c;
    this.embeddings = new CLIPTextEmbeddings(c);
    this.encoder = new Encoder(c);
    this.final_layer_norm = new LayerNorm(c.hidden_size, { eps: c.layer_norm_eps });
  }

  /**
   * ids [B, L] (int), attentionMask [B, L] of 1/0 (optional: CLIP was trained without one,
   * and the causal mask already hides the padding that follows EOT).
   */
  forward(ids: Tensor, options: { attentionMask?: Tensor | null; hiddenStates?: Tensor[] } = {}): TextOutput {
    if (ids.ndim !== 2) throw new ShapeError(`input_ids must be [batch, length], got ${formatShape(ids.shape)}`);
    const [b, l] = ids.shape;
    const h = this.embeddings.forward(ids); // [B, L, D]
    const mask = options.attentionMask ? paddingMask(options.attentionMask, b, l) : null;
    const last = this.final_layer_norm.forward(this.encoder.forward(h, { causal: true, mask, hiddenStates: options.hiddenStates }));
    const rows = eotPositions(ids, this.config.eos_token_id).map((pos, i) => i * l + pos);
    const pooled = indexSelect(last.reshape(b * l, -1), 0, new Tensor(Int32Array.from(rows), [b])); // [B, D]
    return { lastHiddenState: last, pooled };
  }
}

/** [B, L] 1/0 -> additive [B, 1, 1, L]. */
function paddingMask(attentionMask: Tensor, b: number, l: number): Tensor {
  if (attentionMask.size !== b * l) {
    throw new ShapeError(`attention_mask ${formatShape(attentionMask.shape)} does not match input_ids [${b}, ${l}]`);
  }
  const data = new Float32Array(b * l);
  for (let i = 0; i < data.length; i++) data[i] = Number(attentionMask.data[i]) ? 0 : MASKED;
  return new Tensor(data, [b, 1, 1, l]);
}

/**
 * Where each sequence's end-of-text token is. Checkpoints whose config says eos_token_id = 2
 * predate the fix in transformers and pool at the highest id (EOT is the largest id in
 * CLIP's vocabulary), as the original `text.argmax(dim=-1)` does.
 */
function eotPositions(ids: Tensor, eosTokenId: number): number[] {
  const [b, l] = ids.shape;
  const out: number[] = [];
  if (eosTokenId === 2) {
    const idx = argmax(new Tensor(Float32Array.from(ids.data as ArrayLike<number | bigint>, Number), [b, l]), 1);
    for (let i = 0; i < b; i++) out.push(Number(idx.data[i]));
    return out;
  }
  for (let i = 0; i < b; i++) {
    let pos = -1;
    for (let j = 0; j < l && pos < 0; j++) if (Number(ids.data[i * l + j]) === eosTokenId) pos = j;
    if (pos < 0) throw new ShapeError(`input_ids row ${i} has no end-of-text token (${eosTokenId}); tokenize with the model's tokenizer`);
    out.push(pos);
  }
  return out;
}

export interface CLIPOutput {
  /** [num images, num texts] */
  logitsPerImage: Tensor;
  /** [num texts, num images] */
  logitsPerText: Tensor;
  /** [num images, E], L2-normalised (HF semantics). */
  imageEmbeds: Tensor;
  /** [num texts, E], L2-normalised. */
  textEmbeds: Tensor;
}

/** Rows divided by their L2 norm. */
export function l2Normalize(x: Tensor): Tensor {
  return div(x, sqrt(sum(mul(x, x), -1, true)));
}

/**
 * @example
 * const model = await CLIPModel.fromPretrained("openai/clip-vit-base-patch32");
 * const { logitsPerImage } = model.forward({ pixelValues, inputIds });
 */
export class CLIPModel extends Module {
  static readonly modelTypes = ["clip"] as const;

  text_model: CLIPTextTransformer;
  vision_model: VisionTransformer;
  visual_projection: Linear;
  text_projection: Linear;
  /** ln of the inverse temperature; 0-d. */
  logit_scale: Tensor;
  readonly config: CLIPConfig;

  constructor(c: CLIPConfig) {
    super();
    this.config = c;
    this.text_model = new CLIPTextTransformer(c.text_config);
    this.vision_model = new VisionTransformer({ ...c.vision_config, pre_norm: true, num_labels: 0 });
    this.visual_projection = new Linear(c.vision_config.hidden_size, c.projection_dim, { bias: false });
    this.text_projection = new Linear(c.text_config.hidden_size, c.projection_dim, { bias: false });
    this.logit_scale = param(scalar(c.logit_scale_init_value));
  }

  /** Projected image features [B, E], not normalised (HF `get_image_features`). */
  encodeImage(pixelValues: Tensor, options: VisionForwardOptions = {}): Tensor {
    return this.visual_projection.forward(this.vision_model.forward(pixelValues, options).pooled);
  }

  /** Projected text features [B, E], not normalised (HF `get_text_features`). */
  encodeText(inputIds: Tensor, options: { attentionMask?: Tensor | null; hiddenStates?: Tensor[] } = {}): Tensor {
    return this.text_projection.forward(this.text_model.forward(inputIds, options).pooled);
  }

  /** Cosine similarities scaled by exp(logit_scale), from normalised embeddings. */
  logits(imageEmbeds: Tensor, textEmbeds: Tensor): { logitsPerImage: Tensor; logitsPerText: Tensor } {
    const logitsPerText = mul(matmul(textEmbeds, imageEmbeds, { transB: true }), exp(this.logit_scale)); // [T, I]
    return { logitsPerImage: transpose(logitsPerText, 0, 1), logitsPerText };
  }

  forward(inputs: { pixelValues: Tensor; inputIds: Tensor; attentionMask?: Tensor | null }): CLIPOutput {
    const imageEmbeds = l2Normalize(this.encodeImage(inputs.pixelValues));
    const textEmbeds = l2Normalize(this.encodeText(inputs.inputIds, { attentionMask: inputs.attentionMask }));
    return { ...this.logits(imageEmbeds, textEmbeds), imageEmbeds, textEmbeds };
  }

  /**
   * Loads from a Hub id, a Hugging Face model folder, or one weights file: OpenAI's or
   * open_clip's (.pt TorchScript archives included; the architecture is read from the shapes),
   * or an HF-layout file with its config.json beside it. Weights are checked strictly: every
   * key used, every shape equal.
   *
   * @example
   * const model = await CLIPModel.fromPretrained("openai/clip-vit-base-patch32");
   * const openai = await CLIPModel.fromPretrained("ViT-B-32.pt");    // OpenAI's own checkpoint
   */
  static async fromPretrained(source: string, options: CLIPLoadOptions = {}): Promise<CLIPModel> {
    return CLIPModel.fromSource(await openModelSource(source, options), options);
  }

  /**
   * Builds the model from an opened source (see `openModelSource`), reading every tensor.
   *
   * @example
   * const source = await openModelSource("models/icons-clip");
   * const model = CLIPModel.fromSource(source);   // and source.folder has its tokenizer files
   */
  static fromSource(source: ModelSource, options: CLIPLoadOptions = {}): CLIPModel {
    return source.checkpoint.consume((checkpoint) => {
      const origin = source.weightsFile ?? source.folder;
      if (CLIPModel.recognises(checkpoint)) {
        const stored = checkpoint.readAll();
        const inferred = inferOpenAICLIPConfig(stored, origin);
        if (options.hiddenAct) {
          inferred.vision_config.hidden_act = options.hiddenAct;
          inferred.text_config.hidden_act = options.hiddenAct;
        }
        return CLIPModel.withWeights(parseCLIPConfig(inferred, `${origin} (inferred)`), convertOpenAICLIP(stored, origin));
      }
      const config = parseCLIPConfig(requireConfig(source, CLIPModel), source.configFile);
      return CLIPModel.withWeights(config, checkpoint.readAll());
    });
  }

  /** A single weights file in OpenAI's / open_clip's layout is CLIP's, config or not. */
  static recognises(checkpoint: Checkpoint): boolean {
    return isOpenAICLIPLayout(checkpoint.keys());
  }

  /** A model of `config` with `weights` (HF layout) loaded strictly, in eval mode. */
  private static withWeights(config: CLIPConfig, weights: Map<string, Tensor>): CLIPModel {
    const model = new CLIPModel(config);
    model.loadStateDict(tidyHFCLIPKeys(weights));
    return model.eval();
  }

  /** exp(logit_scale): the inverse temperature. */
  temperatureScale(): number {
    return noGrad(() => Math.exp(this.logit_scale.item()));
  }
}

