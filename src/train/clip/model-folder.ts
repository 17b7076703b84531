/**
 * A CLIP model folder as a run writes it (into checkpoints and final/): model.safetensors,
 * config.json as transformers writes it, and the run's tokenizer and preprocessor files, so
 * `CLIPModel.fromPretrained`, `vlm classify --model` and transformers read it as is.
 */
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeFileAtomic } from "../../io/atomic.js";
import { saveSafetensors } from "../../io/index.js";
import type { CLIPModel } from "../../models/clip/model.js";
import { writeFolderAtomic } from "../checkpoint.js";
import { prepareModelFiles } from "./model-files.js";

/** config.json as transformers writes it for a CLIPModel. */
function hfConfig(model: CLIPModel): Record<string, unknown> {
  const c = model.config;
  return {
    architectures: ["CLIPModel"],
    model_type: "clip",
    torch_dtype: "float32",
    ...c,
    text_config: { model_type: "clip_text_model", ...c.text_config, projection_dim: c.projection_dim },
    vision_config: { model_type: "clip_vision_model", ...c.vision_config, projection_dim: c.projection_dim },
  };
}

/**
 * Writes `model` into the empty folder `dir`, with every file of `filesDir` (tokenizer,
 * preprocessor; see model-files.ts). The trainer's `saveModel`.
 *
 * @example
 * writeFolderAtomic("runs/x/final", (dir) => saveClipModel(dir, model, "runs/x/model-files"));
 */
export function saveClipModel(dir: string, model: CLIPModel, filesDir: string): void {
  saveSafetensors(join(dir, "model.safetensors"), model.stateDict(), { metadata: { format: "pt" } });
  const config = `${JSON.stringify(hfConfig(model), null, 2)}\n`;
  writeFileAtomic(join(dir, "config.json"), (fd) => writeSync(fd, config));
  for (const name of readdirSync(filesDir)) copyFileSync(join(filesDir, name), join(dir, name));
}

/**
 * Writes a model derived from the one in `sourceFolder` (deepened, rescaled) as a complete
 * folder at `out`, atomically: its tokenizer and preprocessor files travel with it, the
 * preprocessor resized to the new model's image size.
 *
 * @example
 * await saveDerivedClip("runs/icons-clip-deeper", deepenClip(model, { visionLayers: 2 }), "models/icons-clip");
 */
export async function saveDerivedClip(out: string, model: CLIPModel, sourceFolder: string): Promise<void> {
  const files = mkdtempSync(join(tmpdir(), "derived-clip-"));
  try {
    const { vision_config: vision, text_config: text } = model.config;
    await prepareModelFiles(files, { initFolder: sourceFolder, imageSize: vision.image_size, contextLength: text.max_position_embeddings });
    writeFolderAtomic(out, (dir) => saveClipModel(dir, model, files));
  } finally {
    rmSync(files, { recursive: true, force: true });
  }
}
