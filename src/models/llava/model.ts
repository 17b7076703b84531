/**
 * LLaVA (Liu et al. 2023) in the Hugging Face LlavaForConditionalGeneration layout: a CLIP
 * vision tower read at a middle layer, a small projector into the language model's embedding
 * space, and a Llama that reads the projected patches in place of the prompt's image tokens.
 */
import { ImageTokenError, ShapeError } from "../../errors.js";
import { type ModelSource, openModelSource } from "../../io/index.js";
import { Activation, Linear, Module } from "../../nn/index.js";
import { Tensor, concat, indexCopy, isGradEnabled, noGrad, slice } from "../../tensor/index.js";
import { type GenerateInput, type GenerateOptions, type GenerateResult, generate, streamGenerate } from "../llama/generate.js";
import { LlamaForCausalLM } from "../llama/model.js";
import { type PretrainedOptions, requireConfig } from "../pretrained.js";
import { CLIPVisionModel } from "../vit/model.js";
import { type LlavaConfig, parseLlavaConfig } from "./config.js";
import { legacyKey } from "./convert.js";

/** linear_1, then (activation, linear_k) for k = 2..depth: "linear" is depth 1, "mlp2x_gelu" depth 2. */
export class LlavaProjector extends Module {
  private readonly _layers: Linear[] = [];
  private readonly _act: Activation;

  constructor(c: LlavaConfig) {
    super();
    this._act = new Activation(c.projectorAct);
    const inFeatures = c.vision.hidden_size * c.featureLayers.length;
    const d = c.text.hidden_size;
    for (let i = 1; i <= c.projectorDepth; i++) {
      const layer = new Linear(i === 1 ? inFeatures : d, d, { bias: c.projectorBias });
      // Fields named as the checkpoint names them (linear_1, linear_2, ...).
      (this as unknown as Record<string, Linear>)[`linear_${i}`] = layer;
      this._layers.push(layer);
    }
  }

  /** [..., Dv * layers] -> [..., D]. */
  forward(x: Tensor): Tensor {
    let h = this._layers[0].forward(x);
    for (const layer of this._layers.slice(1)) h = layer.forward(this._act.forward(h));
    return h;
  }
}

export interface LlavaInputs {
  /** Token ids [B, L], with one image token per image feature. */
  inputIds: Tensor;
  /** Images [nImages, 3, H, W], in the order their tokens appear (row by row). */
  pixelValues?: Tensor;
  /** Or their features from `imageFeatures`, [nImages, N, D], to reuse across prompts. */
  imageFeatures?: Tensor;
  /** HF attention_mask [B, L] (1 token, 0 left padding). */
  attentionMask?: Tensor;
}

export interface LlavaGenerateInput {
  /** One prompt per row; each image token stands for one image feature. */
  inputIds: readonly (readonly number[])[];
  /** Per row, 0 marks padding to drop (a padded processor output); generation pads itself. */
  attentionMask?: readonly (readonly number[])[];
  pixelValues?: Tensor | null;
  imageFeatures?: Tensor;
}

/**
 * Puts image features where the image tokens are: row r of `features` (flattened over images)
 * replaces the r-th image token of `inputIds` (scanning rows in order), as HF's
 * `masked_scatter`. Gradients reach both the text embeddings and the features (projector
 * training) through `indexCopy`.
 *
 * inputIds [B, L], embeds [B, L, D], features [nImages, N, D] -> [B, L, D].
 */
export function mergeImageFeatures(inputIds: Tensor, embeds: Tensor, features: Tensor, imageTokenIndex: number): Tensor {
  const d = embeds.shape[embeds.ndim - 1];
  if (embeds.size !== inputIds.size * d || features.shape[features.ndim - 1] !== d) {
    throw new ShapeError(`mergeImageFeatures: ids [${inputIds.shape}], embeds [${embeds.shape}] and features [${features.shape}] do not fit`);
  }
  const slots: number[] = [];
  for (let i = 0; i < inputIds.size; i++) if (Number(inputIds.data[i]) === imageTokenIndex) slots.push(i);
  const rows = features.size / d;
  if (slots.length !== rows) {
    const [n, perImage] = features.ndim === 3 ? [features.shape[0], features.shape[1]] : [1, rows];
    throw new ImageTokenError(
      `the prompt has ${slots.length} image tokens (id ${imageTokenIndex}) but ${n} image(s) give ${perImage} features each (${rows}); ` +
        `put exactly ${perImage} image tokens per image`,
      slots.length,
      rows,
    );
  }
  const positions = new Tensor(Int32Array.from(slots), [slots.length]);
  return indexCopy(embeds.reshape(inputIds.size, d), 0, positions, features.reshape(rows, d)).reshape(embeds.shape); // [B, L, D]
}

/**
 * LlavaForConditionalGeneration.
 *
 * @example
 * const model = await LlavaForConditionalGeneration.fromPretrained("llava-hf/llava-1.5-7b-hf");
 * const features = model.imageFeatures(pixels);                  // once per image
 * model.generate({ inputIds: [ids], imageFeatures: features }, { maxNewTokens: 64, decoder: tok });
 */
export class LlavaForConditionalGeneration extends Module {
  static readonly modelTypes = ["llava"] as const;
  vision_tower: CLIPVisionModel;
  multi_modal_projector: LlavaProjector;
  language_model: LlamaForCausalLM;
  readonly config: LlavaConfig;
  private readonly _featureCache = new WeakMap<Tensor, { version: number; features: Tensor }>();

  /** `languageModel` comes built from a checkpoint when loading; default: random. */
  constructor(config: LlavaConfig, languageModel?: LlamaForCausalLM) {
    super();
    this.config = config;
    this.vision_tower = new CLIPVisionModel(config.vision);
    this.multi_modal_projector = new LlavaProjector(config);
    this.language_model = languageModel ?? new LlamaForCausalLM(config.text);
  }

  /**
   * Loads LLaVA from a model folder or Hub id. `dtype: "auto"` (default) keeps the language
   * model's F16/BF16 matrices 16-bit; `"float32"` upcasts them.
   *
   * @example
   * const model = await LlavaForConditionalGeneration.fromPretrained("llava-hf/llava-1.5-7b-hf");   // fp16 kept 16-bit
   */
  static async fromPretrained(source: string, options: PretrainedOptions = {}): Promise<LlavaForConditionalGeneration> {
    return LlavaForConditionalGeneration.fromSource(await openModelSource(source, options));
  }

  /**
   * Builds the model from an opened source (see `openModelSource`): the language model tensor
   * by tensor (16-bit kept), the vision tower and projector in float32, every key checked.
   */
  static fromSource(source: ModelSource): LlavaForConditionalGeneration {
    return source.checkpoint.rename(legacyKey).consume((checkpoint) => {
      const config = parseLlavaConfig(requireConfig(source, LlavaForConditionalGeneration), source.configFile);
      const model = new LlavaForConditionalGeneration(config, LlamaForCausalLM.fromCheckpoint(config.text, checkpoint, "language_model"));
      model.vision_tower.loadStateDict(checkpoint.stateDictFor(model.vision_tower.stateDict(), "vision_tower."));
      model.multi_modal_projector.loadStateDict(checkpoint.stateDictFor(model.multi_modal_projector.stateDict(), "multi_modal_projector."));
      return model.eval();
    });
  }

  /**
   * Vision tower hidden states at the configured layer(s) (CLS dropped unless "full"), as
   * [nImages, N, Dv * layers]: what the projector reads.
   */
  visionFeatures(pixels: Tensor): Tensor {
    const { featureLayers, keepCls } = this.config;
    const hidden: Tensor[] = [];
    // hidden[i] is the output of layer i (hidden[0] the encoder input): run no further.
    this.vision_tower.vision_model.forward(pixels, { hiddenStates: hidden, numLayers: Math.max(...featureLayers) });
    const picked = featureLayers.map((i) => (keepCls ? hidden[i] : slice(hidden[i], 1, 1))); // [n, N, Dv] each
    return picked.length === 1 ? picked[0] : concat(picked, -1);
  }

  /**
   * Projected image features [nImages, N, D], one row per image token. Without gradients the
   * result is cached per pixel tensor (until it or the weights change), so asking several
   * questions about one image runs the vision tower once.
   */
  imageFeatures(pixels: Tensor): Tensor {
    if (isGradEnabled()) return this.multi_modal_projector.forward(this.visionFeatures(pixels));
    const version = pixels.version + this.weightsVersion();
    const hit = this._featureCache.get(pixels);
    if (hit && hit.version === version) return hit.features;
    const features = noGrad(() => this.multi_modal_projector.forward(this.visionFeatures(pixels)));
    this._featureCache.set(pixels, { version, features });
    return features;
  }

  private weightsVersion(): number {
    let v = 0;
    for (const p of this.vision_tower.parameters()) v += p.version;
    for (const p of this.multi_modal_projector.parameters()) v += p.version;
    return v;
  }

  /** Text embeddings with image features in place of the image tokens: [B, L, D]. */
  embedInputs(inputIds: Tensor, features?: Tensor | null): Tensor {
    const index = this.config.imageTokenIndex;
    // The image token's id may lie outside the embedding table; its row is replaced anyway.
    const safeIds = new Tensor(Int32Array.from(inputIds.data as ArrayLike<number | bigint>, (v) => (Number(v) === index ? 0 : Number(v))), inputIds.shape);
    const embeds = this.language_model.embed(safeIds); // [B, L, D]
    const d = embeds.shape[2];
    return mergeImageFeatures(inputIds, embeds, features ?? new Tensor(new Float32Array(0), [0, 0, d]), index);
  }

  private featuresOf(input: { pixelValues?: Tensor | null; imageFeatures?: Tensor }): Tensor | null {
    if (input.imageFeatures) return input.imageFeatures;
    return input.pixelValues ? this.imageFeatures(input.pixelValues) : null;
  }

  /** Logits for every position, [B, L, V]. */
  forward(input: LlavaInputs): Tensor {
    const embeds = this.embedInputs(input.inputIds, this.featuresOf(input)); // [B, L, D]
    return this.language_model.forward({ inputsEmbeds: embeds, attentionMask: input.attentionMask });
  }

  /** The language model's generation input for these prompts and images (per-row embeddings). */
  generationInput(input: LlavaGenerateInput): GenerateInput {
    const features = noGrad(() => this.featuresOf(input));
    const index = this.config.imageTokenIndex;
    const mask = input.attentionMask;
    if (mask && (mask.length !== input.inputIds.length || mask.some((m, r) => m.length !== input.inputIds[r].length))) {
      throw new ShapeError(`generate: attentionMask rows [${mask.map((m) => m.length)}] do not match inputIds rows [${input.inputIds.map((r) => r.length)}]`);
    }
    const inputIds = mask ? input.inputIds.map((row, r) => row.filter((_, i) => mask[r][i] !== 0)) : input.inputIds;
    const counts = inputIds.map((row) => row.filter((t) => t === index).length);
    const total = counts.reduce((a, b) => a + b, 0);
    const perImage = features ? features.shape[1] : 0;
    const available = features ? features.shape[0] * perImage : 0;
    if (total !== available || counts.some((n) => perImage > 0 && n % perImage !== 0)) {
      throw new ImageTokenError(
        `the prompts have ${total} image tokens (id ${index}, per row ${counts.join(", ")}) but the images give ${available} features ` +
          `(${features ? features.shape[0] : 0} image(s) x ${perImage}); each image needs exactly ${perImage || "its"} tokens in one row`,
        total,
        available,
      );
    }
    let image = 0;
    const inputsEmbeds = inputIds.map((row, r) => {
      const ids = new Tensor(Int32Array.from(row), [1, row.length]);
      const n = perImage ? counts[r] / perImage : 0;
      const mine = features && n ? slice(features, 0, image, image + n) : null;
      image += n;
      return noGrad(() => this.embedInputs(ids, mine)).reshape(row.length, -1); // [L_r, D]
    });
    return { inputIds, inputsEmbeds };
  }

  /**
   * Answers each prompt (batched, left-padded; the same tokens as one at a time).
   *
   * @example
   * const out = model.generate({ inputIds: [ids], pixelValues: pixels }, { maxNewTokens: 32, decoder: tok });
   * out.texts[0];
   */
  generate(input: LlavaGenerateInput, options: GenerateOptions = {}): GenerateResult {
    return generate(this.language_model, this.generationInput(input), options);
  }

  /** Streams the answer to one prompt as text pieces (see streamGenerate). */
  stream(input: LlavaGenerateInput, options: GenerateOptions = {}): AsyncGenerator<string, GenerateResult> {
    return streamGenerate(this.language_model, this.generationInput(input), options);
  }
}
