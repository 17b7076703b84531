/**
 * What every loadable model has in common: it is built from an opened model source
 * (`io/model-source.ts`) by a static `fromSource`, names the config.json `model_type`s it
 * loads, and so can be registered with `models/auto.ts`.
 */
import { ConfigError } from "../errors.js";
import type { Checkpoint, ModelSource, OpenModelOptions } from "../io/index.js";
import type { Module } from "../nn/index.js";

export interface PretrainedOptions extends OpenModelOptions {}

/** A model class as the registry sees it (its statics). */
export interface PretrainedModelClass<M extends Module = Module, O extends PretrainedOptions = PretrainedOptions> {
  readonly name: string;
  /** config.json `model_type` values this class loads. */
  readonly modelTypes: readonly string[];
  /** Builds the model from an opened source; reads and closes its checkpoint. */
  fromSource(source: ModelSource, options?: O): M;
  /** For a weights file with no config.json: true when its keys are this model's own layout. */
  recognises?(checkpoint: Checkpoint): boolean;
}

/**
 * The source's config.json for `model`, after checking its `model_type` is one `model` loads
 * (configs without one are taken as they are); null for a weights file without a config.
 */
export function configFor(source: ModelSource, model: Pick<PretrainedModelClass, "name" | "modelTypes">): Record<string, unknown> | null {
  const type = source.config?.model_type;
  if (typeof type === "string" && !model.modelTypes.includes(type)) {
    throw new ConfigError(
      source.configFile,
      `model_type "${type}" is not a ${model.name} (which loads ${model.modelTypes.join(", ")}); AutoModel.fromPretrained picks the class from model_type`,
    );
  }
  return source.config;
}

/** Same, for models that cannot do without a config.json. */
export function requireConfig(source: ModelSource, model: Pick<PretrainedModelClass, "name" | "modelTypes">): Record<string, unknown> {
  const config = configFor(source, model);
  if (config) return config;
  throw new ConfigError(source.configFile, `a ${model.name} needs the model's config.json beside its weights (or pass the model folder)`);
}
