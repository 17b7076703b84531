/**
 * Grows a trained CLIP by appending transformer layers that start as the identity, so training
 * can continue from the same function with more depth (a pre-LN block adds its attention and MLP
 * outputs to the residual stream; with out_proj and fc2 at zero it adds nothing). The other
 * weights of a new layer are initialised as for a model trained from scratch, so gradients
 * reach them as soon as out_proj and fc2 move off zero (the ReZero / zero-init-residual idea).
 */
import { ArgumentError } from "../../errors.js";
import { CLIPModel } from "../../models/clip/model.js";
import { Generator } from "../../tensor/index.js";
import { initClipWeights } from "./setup.js";

export interface DeepenOptions {
  /** Layers to append to the image tower. */
  visionLayers?: number;
  /** Layers to append to the text tower. */
  textLayers?: number;
  /** Seeds the initialisation of the new layers' inner weights. */
  seed?: number;
}

/**
 * A new CLIPModel with the given layers appended, computing exactly what `model` computes.
 *
 * @example
 * const model = await CLIPModel.fromPretrained("models/icons-clip");
 * const deeper = deepenClip(model, { visionLayers: 2 });
 */
export function deepenClip(model: CLIPModel, options: DeepenOptions): CLIPModel {
  const { visionLayers = 0, textLayers = 0, seed = 0 } = options;
  if (!(Number.isInteger(visionLayers) && Number.isInteger(textLayers) && visionLayers >= 0 && textLayers >= 0 && visionLayers + textLayers > 0)) {
    throw new ArgumentError(`deepenClip: layers to add must be whole numbers >= 0, not both 0 (vision ${visionLayers}, text ${textLayers})`);
  }
  const c = model.config;
  const grown = new CLIPModel({
    ...c,
    vision_config: { ...c.vision_config, num_hidden_layers: c.vision_config.num_hidden_layers + visionLayers },
    text_config: { ...c.text_config, num_hidden_layers: c.text_config.num_hidden_layers + textLayers },
  });
  initClipWeights(grown, new Generator(seed));
  const old = model.stateDict();
  for (const [name, p] of grown.stateDict()) {
    const source = old.get(name);
    const data = p.f32("deepen");
    if (source) data.set(source.f32("deepen"));
    else if (/\.(out_proj|fc2)\.(weight|bias)$/.test(name)) data.fill(0);
    p.markChanged();
  }
  return grown;
}
