/**
 * CLIP model sizes to train from scratch, as JSON in configs/clip/ (see ../presets.ts). Every
 * preset uses CLIP's own 49408-token BPE vocabulary, so a checkpoint loads with any CLIP
 * tokenizer; text towers are short (16-32 tokens) because captions of small datasets are.
 *
 * | preset     | image / patch | vision width x layers (heads) | text width x layers (heads) | context | embed | params |
 * |------------|---------------|-------------------------------|-----------------------------|---------|-------|--------|
 * | tiny       | 32 / 8        | 32 x 1 (2)                    | 32 x 1 (2)                  | 16      | 32    | ~1.6M  |
 * | icons-tiny | 64 / 8        | 192 x 4 (3)                   | 192 x 4 (3)                 | 32      | 128   | ~13M   |
 * | small      | 128 / 16      | 384 x 6 (6)                   | 256 x 6 (4)                 | 32      | 256   | ~27M   |
 *
 * Most of a small model's parameters are the token embedding table (49408 x text width).
 */
import { type CLIPConfig, parseCLIPConfig } from "../../models/clip/config.js";
import { presetNames, readPresetOrFile } from "../presets.js";

/** The names `--model-config` takes besides a .json file. */
export function clipPresetNames(): string[] {
  return presetNames("clip");
}

/**
 * A CLIPConfig from a preset name or a JSON file (a Hugging Face CLIP config.json, or the same
 * fields with only what differs from transformers' defaults).
 *
 * @example
 * resolveModelConfig("icons-tiny").vision_config.image_size;   // 64
 * resolveModelConfig("configs/my-clip.json");
 */
export function resolveModelConfig(spec: string): CLIPConfig {
  const { json, source } = readPresetOrFile("clip", spec);
  return parseCLIPConfig(json, source);
}
