/**
 * The model side of a CLIP run before the first step: the model (built from a config, loaded
 * to fine-tune, or restored from a checkpoint), CLIP's own initialisation for a model trained
 * from scratch, and which parts train.
 */
import { ArgumentError } from "../../errors.js";
import { openModelSource } from "../../io/index.js";
import { CLIPModel } from "../../models/clip/model.js";
import { Generator, manualSeed } from "../../tensor/index.js";
import type { TrainClipOptions } from "./options.js";
import { resolveModelConfig } from "./presets.js";

/**
 * Hugging Face's `CLIPPreTrainedModel._init_weights`: small normal embeddings, residual-branch
 * weights scaled down with depth, zero biases, unit norms. torch's defaults (N(0, 1) embedding
 * tables, uniform fan-in Linears) start the towers far from where CLIP trains well.
 */
export function initClipWeights(model: CLIPModel, generator: Generator): void {
  const c = model.config;
  const stdFor = (name: string): number | "zero" | "one" | "keep" => {
    const tower = name.startsWith("vision_model.") ? c.vision_config : c.text_config;
    const width = tower.hidden_size;
    const inProj = width ** -0.5 * (2 * tower.num_hidden_layers) ** -0.5;
    if (name.endsWith(".bias")) return "zero";
    if (/(layer_norm\d?|layrnorm|layernorm)\.weight$/.test(name)) return "one";
    if (name.endsWith("class_embedding")) return width ** -0.5;
    if (/(token_embedding|position_embedding|patch_embedding)\.weight$/.test(name)) return 0.02;
    if (/\.(q_proj|k_proj|v_proj)\.weight$/.test(name)) return inProj;
    if (name.endsWith(".out_proj.weight")) return width ** -0.5;
    if (name.endsWith(".fc1.weight")) return (2 * width) ** -0.5;
    if (name.endsWith(".fc2.weight")) return inProj;
    if (name === "visual_projection.weight") return c.vision_config.hidden_size ** -0.5;
    if (name === "text_projection.weight") return c.text_config.hidden_size ** -0.5;
    if (name === "logit_scale") return "keep";
    throw new ArgumentError(`initClipWeights: no rule for parameter ${name}`);
  };
  for (const [name, p] of model.namedParameters()) {
    const rule = stdFor(name);
    if (rule === "keep") continue;
    const data = p.f32("init");
    if (rule === "zero") data.fill(0);
    else if (rule === "one") data.fill(1);
    else for (let i = 0; i < data.length; i++) data[i] = rule * generator.normal();
    p.markChanged();
  }
}

export interface TrainableParts {
  freeze?: "vision" | "text";
  train: "all" | "projections";
}

/**
 * Freezes what should not train. A frozen tower's parameters get no gradient and stay out of
 * the optimizer, so they are bit-for-bit what they were loaded as.
 */
export function applyTrainableParts(model: CLIPModel, parts: TrainableParts): void {
  model.requiresGrad_(true);
  if (parts.train === "projections") {
    model.text_model.requiresGrad_(false);
    model.vision_model.requiresGrad_(false);
  } else if (parts.freeze === "vision") {
    model.vision_model.requiresGrad_(false);
  } else if (parts.freeze === "text") {
    model.text_model.requiresGrad_(false);
  }
}

/**
 * The model a run starts from: the checkpoint it resumes, the pretrained CLIP it fine-tunes,
 * or a new one from `modelConfig` initialised with `seed`. Seeds the default generator too.
 */
export async function buildModel(o: TrainClipOptions, resumeDir: string | null): Promise<{ model: CLIPModel; initFolder?: string }> {
  manualSeed(o.seed);
  if (resumeDir) return { model: await CLIPModel.fromPretrained(resumeDir) };
  if (o.init) {
    const source = await openModelSource(o.init);
    return { model: CLIPModel.fromSource(source), initFolder: source.folder };
  }
  const model = new CLIPModel(resolveModelConfig(o.modelConfig ?? "icons-tiny"));
  initClipWeights(model, new Generator(o.seed));
  return { model };
}
