/**
 * LLaVA configuration in the Hugging Face `LlavaConfig` shape: a CLIP vision config, a Llama
 * text config, and how image features are taken and projected. Original-repo configs name the
 * projector `mm_projector_type` ("linear", "mlp2x_gelu", ...); HF's are always a 2-layer MLP.
 */
import { z } from "zod";
import { ConfigError } from "../../errors.js";
import { parseConfig } from "../config-schema.js";
import { type LlamaConfig, parseLlamaConfig } from "../llama/config.js";
import { type ViTConfig, activationSchema, parseViTConfig } from "../vit/config.js";

export const llavaConfigSchema = z.object({
  image_token_index: z.number().int().nonnegative().default(32000),
  projector_hidden_act: activationSchema.default("gelu"),
  /** Index into the vision tower's hidden states (embeddings first); a list concatenates several. */
  vision_feature_layer: z.union([z.number().int(), z.array(z.number().int()).nonempty()]).default(-2),
  /** "default" drops the CLS token, "full" keeps it. */
  vision_feature_select_strategy: z.enum(["default", "full"]).default("default"),
  multimodal_projector_bias: z.boolean().default(true),
  mm_projector_type: z.string().default("mlp2x_gelu"),
  vision_config: z.record(z.string(), z.unknown()).default({}),
  text_config: z.record(z.string(), z.unknown()).default({}),
});

export interface LlavaConfig {
  imageTokenIndex: number;
  projectorAct: z.output<typeof llavaConfigSchema>["projector_hidden_act"];
  /** Hidden-state indices, each normalised to >= 0. */
  featureLayers: number[];
  keepCls: boolean;
  projectorBias: boolean;
  /** Linear layers in the projector: 1 for "linear", N for "mlpNx_gelu". */
  projectorDepth: number;
  vision: ViTConfig;
  text: LlamaConfig;
}

/** Validates a LLaVA config.json; `source` names it in errors. */
export function parseLlavaConfig(value: unknown, source = "llava config"): LlavaConfig {
  const c = parseConfig(llavaConfigSchema, value, source);
  const vision = parseViTConfig(c.vision_config, `${source} (vision_config)`);
  const text = parseLlamaConfig(c.text_config, `${source} (text_config)`);
  // hidden_states holds the encoder input then each layer's output.
  const states = vision.num_hidden_layers + 1;
  const featureLayers = [c.vision_feature_layer].flat().map((i) => {
    const j = i < 0 ? i + states : i;
    if (j < 0 || j >= states) throw new ConfigError(source, `vision_feature_layer ${i} is out of range for ${states} hidden states`);
    return j;
  });
  return {
    imageTokenIndex: c.image_token_index,
    projectorAct: c.projector_hidden_act,
    featureLayers,
    keepCls: c.vision_feature_select_strategy === "full",
    projectorBias: c.multimodal_projector_bias,
    projectorDepth: projectorDepth(c.mm_projector_type, source),
    vision,
    text,
  };
}

function projectorDepth(type: string, source: string): number {
  if (type === "linear") return 1;
  const mlp = /^mlp(\d+)x_gelu$/.exec(type);
  if (mlp && Number(mlp[1]) >= 1) return Number(mlp[1]);
  throw new ConfigError(source, `unknown projector type mm_projector_type "${type}" (supported: "linear", "mlpNx_gelu" such as "mlp2x_gelu")`);
}
