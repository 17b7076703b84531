/**
 * The one way a model source is opened: a model folder, a Hugging Face Hub id (downloaded into
 * the Hub cache, or found there offline) or a single weights file. Every model's
 * `fromPretrained` starts here, so each reads config.json and finds its weights the same way.
 */
import { existsSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { NotFoundError } from "../errors.js";
import { Checkpoint, type CheckpointOptions } from "./checkpoint.js";
import { type ResolveOptions, resolveModelPath } from "./hub/index.js";
import { readJsonObject } from "./json.js";

export interface OpenModelOptions extends ResolveOptions, CheckpointOptions {}

/** Where a model's files are, and its config. */
export interface ModelLocation {
  /** The folder of config, tokenizer and preprocessor files (for a single weights file: its folder). */
  folder: string;
  /** config.json, parsed; null for a weights file with no config.json beside it. */
  config: Record<string, unknown> | null;
  /** What to name in errors about the config: the config.json path (or the weights file). */
  configFile: string;
  /** The weights file given, when the source was one (not a folder or Hub id). */
  weightsFile: string | null;
}

export interface ModelSource extends ModelLocation {
  /** The weights, opened but not read; a model's `fromSource` reads and closes them. */
  checkpoint: Checkpoint;
}

/**
 * Resolves a source to its folder and reads its config.json, without opening the weights (for
 * processors and tokenizers). A folder or Hub id without config.json is a NotFoundError.
 *
 * @example
 * const { folder, config } = await locateModel("llava-hf/llava-1.5-7b-hf");
 */
export async function locateModel(source: string, options: ResolveOptions = {}): Promise<ModelLocation> {
  if (existsSync(source) && statSync(source).isFile()) {
    const configFile = join(dirname(source), "config.json");
    const config = existsSync(configFile) ? readJsonObject(configFile) : null;
    return { folder: dirname(source), config, configFile: config ? configFile : source, weightsFile: source };
  }
  const folder = await resolveModelPath(source, options);
  const configFile = join(folder, "config.json");
  if (!existsSync(configFile)) throw new NotFoundError(`${folder}: no config.json in this model folder`);
  return { folder, config: readJsonObject(configFile), configFile, weightsFile: null };
}

/**
 * Opens a model source: resolves a Hub id, reads config.json (a bad one fails before any
 * weights file is opened), opens the weights (see `Checkpoint.open`).
 *
 * @example
 * const source = await openModelSource("openai/clip-vit-base-patch32");
 * source.config?.model_type;              // "clip"
 * const model = CLIPModel.fromSource(source);
 * const tokenizer = await CLIPTokenizer.fromPretrained(source.folder);
 */
export async function openModelSource(source: string, options: OpenModelOptions = {}): Promise<ModelSource> {
  const location = await locateModel(source, options);
  return { ...location, checkpoint: Checkpoint.open(location.weightsFile ?? location.folder, options) };
}
