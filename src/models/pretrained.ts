/**
 * What every loadable model has in common: it is built from an opened model source
 * (`io/model-source.ts`) by a static `fromSource`, names the config.json `model_type`s it
 * loads, and so can be registered with `models/auto.ts`.
 */
import { ConfigError } from "../errors.js";
import type { Checkpoint, ModelSource, OpenModelOptions } from "../io/index.js";
import type { Module } from "../nn/index.js";

/** Where to find the model (Hub settings) and `dtype` ("auto" keeps 16-bit weights 16-bit). */
export interface PretrainedOptions extends OpenModelOptions {}

/** A model class as the registry sees it (its statics). */
export interface PretrainedModelClass<M extends Module = Module> {
  readonly name: string;
  /** config.json `model_type` values this class loads. */
  readonly modelTypes: readonly string[];
  /** Builds the model from an opened source; reads and closes its checkpoint. */
  fromSource(source: ModelSource, options?: PretrainedOptions): M;
  /** For a weights file with no config.json: true when its keys are this model's own layout. */
  recognises?(checkpoint: Checkpoint): boolean;
}

/**
 * The source's config.json for `model`. A ConfigError when its `model_type` is not one `model`
 * loads (a config without one is taken as it is), or when there is no config at all (a weights
 * file alone).
 */
export function requireConfig(source: ModelSource, model: Pick<PretrainedModelClass, "name" | "modelTypes">): Record<string, unknown> {
  const { config } = source;
  if (!config) {
    throw new ConfigError(source.configFile, `a ${model.name} needs the model's config.json beside its weights (or pass the model folder)`);
  }
  const type = config.model_type;
  if (typeof type === "string" && !model.modelTypes.includes(type)) {
    throw new ConfigError(
      source.configFile,
      `model_type "${type}" is not a ${model.name} (which loads ${model.modelTypes.join(", ")}); AutoModel.fromPretrained picks the class from model_type`,
    );
  }
  return config;
}
