/**
 * The Vision Transformer as taught (Dosovitskiy et al. 2020), in the Hugging Face CLIP vision
 * layout: a strided conv cuts the image into patches and projects each one, a learned CLS
 * token is prepended, learned position embeddings are added, pre-LN transformer blocks run,
 * and the CLS token (after a final LayerNorm) is the image representation.
 */
import { ShapeError } from "../../errors.js";
import { type ModelSource, openModelSource } from "../../io/index.js";
import { Conv2d, Embedding, LayerNorm, Linear, Module, param } from "../../nn/index.js";
import {
  Tensor, add, concat, expand, interpolateBicubic, linear, noGrad, permute, randn, slice,
} from "../../tensor/index.js";
import { formatShape } from "../../tensor/shape.js";
import { type PretrainedOptions, requireConfig } from "../pretrained.js";
import { Encoder } from "./encoder.js";
import { type ViTConfig, parseViTConfig } from "./config.js";
import { isPositionIdsBuffer } from "./convert.js";

export class ViTEmbeddings extends Module {
  class_embedding: Tensor;
  patch_embedding: Conv2d;
  position_embedding: Embedding;
  readonly patchSize: number;
  readonly gridSize: number;

  constructor(c: ViTConfig) {
    super();
    this.patchSize = c.patch_size;
    this.gridSize = Math.floor(c.image_size / c.patch_size);
    const d = c.hidden_size;
    this.class_embedding = param(noGrad(() => randn([d], { std: d ** -0.5 })));
    this.patch_embedding = new Conv2d(c.num_channels, d, c.patch_size, { stride: c.patch_size, bias: false });
    this.position_embedding = new Embedding(this.gridSize * this.gridSize + 1, d);
  }

  /**
   * pixels [B, C, H, W] -> tokens [B, 1 + N, D]. Other image sizes than the configured one
   * need `interpolate` (position embeddings resized bicubically, as HF's
   * `interpolate_pos_encoding`).
   */
  forward(pixels: Tensor, interpolate = false): Tensor {
    const [b, , h, w] = pixels.shape;
    const p = this.patchSize;
    const gh = Math.floor(h / p);
    const gw = Math.floor(w / p);
    if (!interpolate && (gh !== this.gridSize || gw !== this.gridSize)) {
      throw new ShapeError(
        `image ${formatShape(pixels.shape)} gives a ${gh}x${gw} patch grid, the model was trained on ${this.gridSize}x${this.gridSize}; resize it or pass interpolatePosEncoding`,
      );
    }
    const patches = this.embedPatches(pixels, gh, gw); // [B, N, D]
    const d = patches.shape[2];
    const cls = expand(this.class_embedding.reshape(1, 1, d), [b, 1, d]); // [B, 1, D]
    const tokens = concat([cls, patches], 1); // [B, 1 + N, D]
    return add(tokens, this.positions(gh, gw)); // [B, 1 + N, D]
  }

  /**
   * The strided conv as what it is, one linear map of each flattened patch: the patches are
   * unfolded by one permute and projected by a single GEMM over the whole batch (a conv call
   * runs one small GEMM per image, and its [B, D, gh, gw] output needs transposing back).
   * Pixels past the last whole patch are dropped, as the conv drops them.
   */
  private embedPatches(pixels: Tensor, gh: number, gw: number): Tensor {
    const [b, c, h, w] = pixels.shape;
    const p = this.patchSize;
    let whole = pixels;
    if (h !== gh * p) whole = slice(whole, 2, 0, gh * p);
    if (w !== gw * p) whole = slice(whole, 3, 0, gw * p);
    const unfolded = permute(whole.reshape(b, c, gh, p, gw, p), [0, 2, 4, 1, 3, 5]).reshape(b, gh * gw, c * p * p);
    const { weight, bias } = this.patch_embedding; // weight [D, C, p, p], flattened in the same (c, y, x) order
    return linear(unfolded, weight.reshape(weight.shape[0], c * p * p), bias); // [B, N, D]
  }

  /** Position embeddings for a gh x gw grid: [1 + gh * gw, D]. */
  private positions(gh: number, gw: number): Tensor {
    const table = this.position_embedding.weight; // [1 + g * g, D]
    if (gh === this.gridSize && gw === this.gridSize) return table;
    const d = table.shape[1];
    const g = this.gridSize;
    const grid = permute(slice(table, 0, 1).reshape(1, g, g, d), [0, 3, 1, 2]); // [1, D, g, g]
    const resized = permute(interpolateBicubic(grid, gh, gw), [0, 2, 3, 1]).reshape(gh * gw, d);
    return concat([slice(table, 0, 0, 1), resized], 0);
  }
}

export interface VisionForwardOptions {
  /** Collect every layer's output (HF `output_hidden_states`): [embeddings, layer 1, ...]. */
  hiddenStates?: Tensor[];
  /** Run only this many encoder layers (LLaVA's feature layer). */
  numLayers?: number;
  interpolatePosEncoding?: boolean;
}

export interface VisionOutput {
  /** [B, 1 + N, D], after the last layer run (before post_layernorm). */
  lastHiddenState: Tensor;
  /** [B, D], post_layernorm(CLS). */
  pooled: Tensor;
}

/** CLIPVisionTransformer: embeddings -> pre_layrnorm -> encoder -> post_layernorm(CLS). */
export class VisionTransformer extends Module {
  embeddings: ViTEmbeddings;
  pre_layrnorm: LayerNorm | null;
  encoder: Encoder;
  post_layernorm: LayerNorm;
  readonly config: ViTConfig;

  constructor(c: ViTConfig) {
    super();
    this.config = c;
    this.embeddings = new ViTEmbeddings(c);
    this.pre_layrnorm = c.pre_norm ? new LayerNorm(c.hidden_size, { eps: c.layer_norm_eps }) : null;
    this.encoder = new Encoder(c);
    this.post_layernorm = new LayerNorm(c.hidden_size, { eps: c.layer_norm_eps });
  }

  forward(pixels: Tensor, options: VisionForwardOptions = {}): VisionOutput {
    let h = this.embeddings.forward(pixels, options.interpolatePosEncoding); // [B, 1 + N, D]
    if (this.pre_layrnorm) h = this.pre_layrnorm.forward(h);
    const last = this.encoder.forward(h, { hiddenStates: options.hiddenStates, numLayers: options.numLayers });
    const cls = slice(last, 1, 0, 1).reshape(last.shape[0], last.shape[2]); // [B, D]
    return { lastHiddenState: last, pooled: this.post_layernorm.forward(cls) };
  }
}

/**
 * Hugging Face's CLIPVisionModel: the vision transformer under `vision_model`. What a CLIP image
 * tower saved alone loads as (config.json `model_type` "clip_vision_model"), and LLaVA's vision
 * tower.
 *
 * @example
 * const vision = await CLIPVisionModel.fromPretrained("path/to/clip-vision-folder");
 * const { pooled } = noGrad(() => vision.forward(pixels));   // [B, D]
 */
export class CLIPVisionModel extends Module {
  static readonly modelTypes = ["clip_vision_model"] as const;
  vision_model: VisionTransformer;
  readonly config: ViTConfig;

  constructor(config: ViTConfig) {
    super();
    this.config = config;
    this.vision_model = new VisionTransformer(config);
  }

  forward(pixels: Tensor, options: VisionForwardOptions = {}): VisionOutput {
    return this.vision_model.forward(pixels, options);
  }

  static async fromPretrained(source: string, options: PretrainedOptions = {}): Promise<CLIPVisionModel> {
    return CLIPVisionModel.fromSource(await openModelSource(source, options));
  }

  /** Builds the model from an opened source (see `openModelSource`), strictly. */
  static fromSource(source: ModelSource): CLIPVisionModel {
    return source.checkpoint.rename((key) => (isPositionIdsBuffer(key) ? null : key)).consume((checkpoint) => {
      const model = new CLIPVisionModel(parseViTConfig(requireConfig(source, CLIPVisionModel), source.configFile));
      model.loadStateDict(checkpoint.stateDictFor(model.stateDict()));
      return model.eval();
    });
  }
}

/** A ViT with a linear head on the CLS token: logits [B, num_labels]. */
export class ViTForImageClassification extends Module {
  vision_model: VisionTransformer;
  classifier: Linear;

  constructor(c: ViTConfig) {
    super();
    if (c.num_labels <= 0) throw new ShapeError("ViTForImageClassification needs num_labels > 0 in its config");
    this.vision_model = new VisionTransformer(c);
    this.classifier = new Linear(c.hidden_size, c.num_labels);
  }

  forward(pixels: Tensor, options: VisionForwardOptions = {}): Tensor {
    return this.classifier.forward(this.vision_model.forward(pixels, options).pooled);
  }
}
