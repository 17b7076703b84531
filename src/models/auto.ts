/**
 * AutoModel: picks the architecture from config.json's `model_type`, as transformers does.
 * A single weights file (OpenAI / open_clip layout) has no config and loads as CLIP.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, FileFormatError } from "../errors.js";
import { type ResolveOptions, resolveModelPath } from "../io/hub/index.js";
import type { Module } from "../nn/index.js";
import { type CLIPLoadOptions, loadCLIP } from "./clip/load.js";
import { loadLlama } from "./llama/load.js";
import { loadLlava } from "./llava/load.js";

type Loader = (source: string, options: CLIPLoadOptions) => Promise<Module>;

const LOADERS: Record<string, Loader> = {
  clip: async (source, options) => (await loadCLIP(source, options)).model,
};

/** Registers another architecture (used by model families that live in other folders). */
export function registerAutoModel(modelType: string, loader: Loader): void {
  LOADERS[modelType] = loader;
}

export const AutoModel = {
  /**
   * @example
   * const model = await AutoModel.fromPretrained("openai/clip-vit-base-patch32"); // a CLIPModel
   */
  async fromPretrained(source: string, options: ResolveOptions = {}): Promise<Module> {
    if (existsSync(source) && statSync(source).isFile()) return LOADERS.clip(source, options);
    const folder = await resolveModelPath(source, options);
    const configFile = join(folder, "config.json");
    let config: { model_type?: unknown };
    try {
      config = JSON.parse(readFileSync(configFile, "utf8")) as { model_type?: unknown };
    } catch (err) {
      throw new FileFormatError(configFile, `cannot read the model config: ${(err as Error).message}`, { cause: err });
    }
    const type = String(config.model_type ?? "");
    const loader = LOADERS[type];
    if (!loader) {
      throw new ConfigError(configFile, `model_type "${type}" is not supported (supported: ${Object.keys(LOADERS).join(", ")})`);
    }
    return loader(folder, options);
  },
};

registerAutoModel("llava", async (source, options) => (await loadLlava(source, options)).model);
for (const type of ["llama", "mistral", "qwen2"]) registerAutoModel(type, async (source, options) => (await loadLlama(source, options)).model);
