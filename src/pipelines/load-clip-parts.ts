/** A CLIP model with the tokenizer and image processor that belong to it. */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { CLIPImageProcessor } from "../image/index.js";
import { ttyProgress } from "../io/hub/index.js";
import { openModelSource } from "../io/index.js";
import { type CLIPLoadOptions, CLIPModel } from "../models/clip/model.js";
import { CLIPTokenizer } from "../tokenizers/clip/index.js";
import { clipModelOrDefault } from "./default-model.js";
import type { ClipParts } from "./zero-shot.js";

export interface LoadedClipParts extends ClipParts {
  /** Where config, tokenizer and preprocessor files were read from. */
  folder: string;
}

/**
 * Model, tokenizer and image processor from a Hub id, a model folder or a single OpenAI /
 * open_clip weights file (then the tokenizer files must sit beside it). Without `source`, the
 * shipped default model.
 *
 * @example
 * const clip = await loadClipParts("openai/clip-vit-base-patch32");
 * const scores = await zeroShotClassify(clip, ["cat.jpg"], ["cat", "dog"]);
 */
export async function loadClipParts(source?: string, options: CLIPLoadOptions = {}): Promise<LoadedClipParts> {
  const opened = await openModelSource(clipModelOrDefault(source), { onProgress: ttyProgress(), ...options });
  const { folder } = opened;
  const model = CLIPModel.fromSource(opened, options);
  const tokenizer = await CLIPTokenizer.fromPretrained(folder);
  // Without a preprocessor_config.json, CLIP's defaults at the model's own resolution.
  const size = model.config.vision_config.image_size;
  const processor = existsSync(join(folder, "preprocessor_config.json"))
    ? await CLIPImageProcessor.fromPretrained(folder)
    : new CLIPImageProcessor({ size: { shortestEdge: size }, cropSize: { height: size, width: size } });
  return { model, tokenizer, processor, folder };
}
