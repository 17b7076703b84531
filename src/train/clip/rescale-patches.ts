/**
 * Gives a trained CLIP image tower a k-times finer input without changing its token grid:
 * image size and patch size both grow by k, and each patch-embedding weight pixel is spread over
 * a k x k block and divided by k^2. A patch of the larger image then projects to exactly what
 * its k x k box-average would give the original model, so the new model starts as the old one
 * seen through a box filter, with the same number of tokens (the same attention cost) and the
 * same position embeddings, and training can teach it to use the detail the average hid.
 * (FlexiViT resizes patches to arbitrary sizes by a pseudo-inverse; for an integer factor and
 * a box filter the spread-and-divide kernel is that map exactly.)
 */
import { ArgumentError } from "../../errors.js";
import { CLIPModel } from "../../models/clip/model.js";

/**
 * A new CLIPModel whose image tower reads images `factor` times larger with `factor` times
 * larger patches.
 *
 * @example
 * const model = await CLIPModel.fromPretrained("models/icons-clip");     // 64 px, patch 8
 * const finer = rescalePatches(model, 2);                                 // 128 px, patch 16, still 8 x 8 tokens
 */
export function rescalePatches(model: CLIPModel, factor: number): CLIPModel {
  if (!(Number.isInteger(factor) && factor >= 2)) throw new ArgumentError(`rescalePatches: the factor must be a whole number >= 2, got ${factor}`);
  const c = model.config;
  const v = c.vision_config;
  const scaled = new CLIPModel({ ...c, vision_config: { ...v, image_size: v.image_size * factor, patch_size: v.patch_size * factor } });
  const old = model.stateDict();
  const p = v.patch_size;
  const q = p * factor;
  for (const [name, t] of scaled.stateDict()) {
    const source = old.get(name)!.f32("rescalePatches");
    const data = t.f32("rescalePatches");
    if (name !== "vision_model.embeddings.patch_embedding.weight") {
      data.set(source);
    } else {
      // [D, C, p, p] -> [D, C, q, q]: pixel (y, x) of the new kernel reads (y / k, x / k) of the old.
      const planes = source.length / (p * p);
      for (let plane = 0; plane < planes; plane++) {
        for (let y = 0; y < q; y++) {
          for (let x = 0; x < q; x++) {
            data[plane * q * q + y * q + x] = source[plane * p * p + Math.floor(y / factor) * p + Math.floor(x / factor)] / (factor * factor);
          }
        }
      }
    }
    t.markChanged();
  }
  return scaled;
}
