/**
 * Checkpoints -> the Hugging Face `CLIPModel` layout the module fields follow. The OpenAI /
 * open_clip layout: a declarative rename table plus the two reshapes the layouts differ by
 * (fused q/k/v in_proj split in three; projections stored transposed), strict (every source
 * key must be used), and its architecture inferred from the shapes. HF files: small tidying.
 */
import { FileFormatError } from "../../errors.js";
import type { Tensor } from "../../tensor/tensor.js";
import { slice, transpose } from "../../tensor/ops/layout.js";
import { isPositionIdsBuffer } from "../vit/convert.js";
import type { CLIPConfigInput } from "./config.js";

/** [source pattern, target template] pairs; `$1` is the block index. */
const RENAMES: Array<[RegExp, string]> = [
  [/^visual\.conv1\.weight$/, "vision_model.embeddings.patch_embedding.weight"],
  [/^visual\.class_embedding$/, "vision_model.embeddings.class_embedding"],
  [/^visual\.positional_embedding$/, "vision_model.embeddings.position_embedding.weight"],
  [/^visual\.ln_pre\.(weight|bias)$/, "vision_model.pre_layrnorm.$1"],
  [/^visual\.ln_post\.(weight|bias)$/, "vision_model.post_layernorm.$1"],
  [/^visual\.transformer\.resblocks\.(\d+)\.(.+)$/, "vision_model.encoder.layers.$1.$2"],
  [/^token_embedding\.weight$/, "text_model.embeddings.token_embedding.weight"],
  [/^positional_embedding$/, "text_model.embeddings.position_embedding.weight"],
  [/^transformer\.resblocks\.(\d+)\.(.+)$/, "text_model.encoder.layers.$1.$2"],
  [/^ln_final\.(weight|bias)$/, "text_model.final_layer_norm.$1"],
  [/^logit_scale$/, "logit_scale"],
];

/** Names inside one residual block. */
const BLOCK_RENAMES: Array<[RegExp, string]> = [
  [/^attn\.out_proj\.(weight|bias)$/, "self_attn.out_proj.$1"],
  [/^ln_1\.(weight|bias)$/, "layer_norm1.$1"],
  [/^ln_2\.(weight|bias)$/, "layer_norm2.$1"],
  [/^mlp\.c_fc\.(weight|bias)$/, "mlp.fc1.$1"],
  [/^mlp\.c_proj\.(weight|bias)$/, "mlp.fc2.$1"],
];

/**
 * HF checkpoints differ in small ways that carry no weights: `position_ids` buffers in older
 * files, and logit_scale stored as [1] instead of a scalar.
 */
export function tidyHFCLIPKeys(weights: Map<string, Tensor>): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [key, value] of weights) {
    if (isPositionIdsBuffer(key)) continue;
    out.set(key, key === "logit_scale" && value.size === 1 ? value.reshape([]) : value);
  }
  return out;
}

/** True when a state dict uses the OpenAI / open_clip key names. */
export function isOpenAICLIPLayout(keys: Iterable<string>): boolean {
  for (const k of keys) if (k === "visual.conv1.weight" || k.startsWith("visual.transformer.")) return true;
  return false;
}

/**
 * Renames an OpenAI-layout state dict to the HF layout. `file` names the source in errors.
 */
export function convertOpenAICLIP(source: Map<string, Tensor>, file: string): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  const unused: string[] = [];
  for (const [key, value] of source) {
    if (key === "visual.proj") {
      out.set("visual_projection.weight", transpose(value, 0, 1));
      continue;
    }
    if (key === "text_projection") {
      out.set("text_projection.weight", transpose(value, 0, 1));
      continue;
    }
    // Bookkeeping tensors in OpenAI's archives, not weights.
    if (key === "input_resolution" || key === "context_length" || key === "vocab_size") continue;
    const rule = RENAMES.find(([pattern]) => pattern.test(key));
    if (!rule) {
      unused.push(key);
      continue;
    }
    const renamed = key.replace(rule[0], rule[1]);
    const block = renamed.match(/^(.*\.layers\.\d+)\.(.+)$/);
    if (!block) {
      out.set(renamed, value);
      continue;
    }
    const [, prefix, inner] = block;
    const fused = inner.match(/^attn\.in_proj_(weight|bias)$/);
    if (fused) {
      // in_proj stacks q, k and v along the output dimension.
      const width = value.shape[0] / 3;
      ["q_proj", "k_proj", "v_proj"].forEach((name, i) => {
        out.set(`${prefix}.self_attn.${name}.${fused[1]}`, slice(value, 0, i * width, (i + 1) * width));
      });
      continue;
    }
    const blockRule = BLOCK_RENAMES.find(([pattern]) => pattern.test(inner));
    if (!blockRule) {
      unused.push(key);
      continue;
    }
    out.set(`${prefix}.${inner.replace(blockRule[0], blockRule[1])}`, value);
  }
  if (unused.length) {
    throw new FileFormatError(file, `keys not recognised as an OpenAI/open_clip CLIP checkpoint: ${unused.slice(0, 10).join(", ")}${unused.length > 10 ? ` (and ${unused.length - 10} more)` : ""}`);
  }
  return out;
}

function countBlocks(keys: string[], prefix: string): number {
  let n = 0;
  const re = new RegExp(`^${prefix.replace(/\./g, "\\.")}(\\d+)\\.`);
  for (const k of keys) {
    const m = k.match(re);
    if (m) n = Math.max(n, Number(m[1]) + 1);
  }
  return n;
}

/**
 * The architecture of an OpenAI-layout checkpoint, read from tensor shapes the way OpenAI's
 * `build_model` does (heads = width / 64, since they are not stored).
 */
export function inferOpenAICLIPConfig(source: Map<string, Tensor>, file: string): CLIPConfigInput {
  const need = (key: string): Tensor => {
    const t = source.get(key);
    if (!t) throw new FileFormatError(file, `missing "${key}", needed to infer the architecture`);
    return t;
  };
  const keys = [...source.keys()];
  const conv = need("visual.conv1.weight");
  const visionWidth = conv.shape[0];
  const patch = conv.shape[conv.ndim - 1];
  const positions = need("visual.positional_embedding").shape[0];
  const grid = Math.round(Math.sqrt(positions - 1));
  if (grid * grid + 1 !== positions) {
    throw new FileFormatError(file, `visual.positional_embedding has ${positions} rows, not a square grid plus the class token`);
  }
  const textWidth = need("ln_final.weight").shape[0];
  const embedDim = need("text_projection").shape[1];
  const visionMlp = need("visual.transformer.resblocks.0.mlp.c_fc.weight").shape[0];
  const textMlp = need("transformer.resblocks.0.mlp.c_fc.weight").shape[0];
  return {
    projection_dim: embedDim,
    vision_config: {
      hidden_size: visionWidth,
      intermediate_size: visionMlp,
      num_attention_heads: Math.max(1, Math.round(visionWidth / 64)),
      num_hidden_layers: countBlocks(keys, "visual.transformer.resblocks."),
      image_size: patch * grid,
      patch_size: patch,
      num_channels: conv.shape[1],
      hidden_act: "quick_gelu",
    },
    text_config: {
      hidden_size: textWidth,
      intermediate_size: textMlp,
      num_attention_heads: Math.max(1, Math.round(textWidth / 64)),
      num_hidden_layers: countBlocks(keys, "transformer.resblocks."),
      max_position_embeddings: need("positional_embedding").shape[0],
      vocab_size: need("token_embedding.weight").shape[0],
      hidden_act: "quick_gelu",
    },
  };
}
