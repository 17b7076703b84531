/**
 * Loading CLIP from what users have: a Hugging Face model folder, a Hub id, or one weights
 * file in the OpenAI / open_clip layout (.safetensors, or a PyTorch .pt/.bin, TorchScript
 * archives included). Weights are checked strictly: every key used, every shape equal.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, extname, join } from "node:path";
import { ConfigError, FileFormatError, NotFoundError } from "../../errors.js";
import { loadSafetensors, loadWeights } from "../../io/index.js";
import { type ResolveOptions, resolveModelPath } from "../../io/hub/index.js";
import { loadTorchCheckpoint } from "../../io/torch/index.js";
import type { Tensor } from "../../tensor/index.js";
import { type ActivationName, type CLIPConfig, parseCLIPConfig } from "./config.js";
import { convertOpenAICLIP, inferOpenAICLIPConfig, isOpenAICLIPLayout } from "./convert.js";
import { CLIPModel } from "./model.js";

export interface CLIPLoadOptions extends ResolveOptions {
  /**
   * Activation of a single OpenAI/open_clip file, which does not record it: OpenAI's
   * checkpoints use quick_gelu (the default); open_clip's own trainings mostly use gelu.
   */
  hiddenAct?: ActivationName;
}

export interface LoadedCLIP {
  model: CLIPModel;
  /** The folder holding config, tokenizer and preprocessor files (for a single file: its folder). */
  folder: string;
}

const TORCH_EXTENSIONS = new Set([".pt", ".pth", ".bin", ".ckpt"]);

/** Reads a weights file by its extension. */
export function readWeightsFile(file: string): Map<string, Tensor> {
  const ext = extname(file).toLowerCase();
  if (ext === ".safetensors" || file.endsWith(".index.json")) return loadWeights(file);
  if (TORCH_EXTENSIONS.has(ext)) return loadTorchCheckpoint(file);
  throw new FileFormatError(file, `unknown weights format "${ext}" (expected .safetensors, .pt, .pth or .bin)`);
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new FileFormatError(file, `not valid JSON: ${(err as Error).message}`, { cause: err });
  }
}

/** The weights of a model folder: safetensors (single or sharded), else pytorch_model.bin. */
function folderWeights(folder: string): Map<string, Tensor> {
  if (existsSync(join(folder, "model.safetensors")) || existsSync(join(folder, "model.safetensors.index.json"))) {
    return loadWeights(folder);
  }
  for (const name of ["pytorch_model.bin", "open_clip_pytorch_model.bin"]) {
    if (existsSync(join(folder, name))) return loadTorchCheckpoint(join(folder, name));
  }
  throw new NotFoundError(`${folder}: no weights in this model folder (looked for model.safetensors, model.safetensors.index.json, pytorch_model.bin)`);
}

/**
 * HF checkpoints differ in small ways that carry no weights: `position_ids` buffers in older
 * files, and logit_scale stored as [1] instead of a scalar.
 */
function tidyHFKeys(weights: Map<string, Tensor>): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [key, value] of weights) {
    if (key.endsWith(".position_ids")) continue;
    out.set(key, key === "logit_scale" && value.size === 1 ? value.reshape([]) : value);
  }
  return out;
}

/** Builds a CLIPModel and loads weights into it, strictly. */
export function buildCLIP(config: CLIPConfig, weights: Map<string, Tensor>): CLIPModel {
  const model = new CLIPModel(config);
  model.loadStateDict(tidyHFKeys(weights));
  return model.eval();
}

function loadSingleFile(file: string, options: CLIPLoadOptions): LoadedCLIP {
  const weights = readWeightsFile(file);
  const folder = dirname(file);
  if (isOpenAICLIPLayout(weights.keys())) {
    const inferred = inferOpenAICLIPConfig(weights, file);
    if (options.hiddenAct) {
      inferred.vision_config.hidden_act = options.hiddenAct;
      inferred.text_config.hidden_act = options.hiddenAct;
    }
    const config = parseCLIPConfig(inferred, `${file} (inferred)`);
    return { model: buildCLIP(config, convertOpenAICLIP(weights, file)), folder };
  }
  const configFile = join(folder, "config.json");
  if (!existsSync(configFile)) {
    throw new ConfigError(file, "Hugging Face-layout weights need the model's config.json beside them (or pass the model folder)");
  }
  return { model: buildCLIP(parseCLIPConfig(readJson(configFile), configFile), weights), folder };
}

/**
 * Loads a CLIP model from a Hub id, a model folder or a single weights file.
 *
 * @example
 * const { model, folder } = await loadCLIP("openai/clip-vit-base-patch32");
 * const { model } = await loadCLIP("ViT-B-32.pt");       // OpenAI's own checkpoint
 */
export async function loadCLIP(source: string, options: CLIPLoadOptions = {}): Promise<LoadedCLIP> {
  if (existsSync(source) && statSync(source).isFile()) return loadSingleFile(source, options);
  const folder = await resolveModelPath(source, options);
  const configFile = join(folder, "config.json");
  if (!existsSync(configFile)) throw new NotFoundError(`${folder}: no config.json in this model folder`);
  const config = parseCLIPConfig(readJson(configFile), configFile);
  return { model: buildCLIP(config, folderWeights(folder)), folder };
}
