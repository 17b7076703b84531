#!/usr/bin/env node
// node --import tsx scripts/deepen-clip.mjs --model models/icons-clip --vision-layers 2 --out runs/icons-clip-deeper
// Appends identity-initialised layers to a CLIP model folder (see src/train/clip/deepen.ts);
// train the result with `vlm train clip --init <out>`.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { openModelSource } from "../src/io/model-source.ts";
import { CLIPModel } from "../src/models/clip/model.ts";
import { writeModelFolder } from "../src/train/clip/checkpoint.ts";
import { deepenClip } from "../src/train/clip/deepen.ts";
import { prepareModelFiles } from "../src/train/clip/model-files.ts";

const { values } = parseArgs({
  options: {
    model: { type: "string" },
    out: { type: "string" },
    "vision-layers": { type: "string", default: "0" },
    "text-layers": { type: "string", default: "0" },
    seed: { type: "string", default: "0" },
  },
});
if (!values.model || !values.out) {
  console.error("usage: deepen-clip --model <folder> --out <folder> [--vision-layers N] [--text-layers N] [--seed S]");
  process.exit(2);
}
const source = await openModelSource(values.model);
const { folder } = source;
const model = CLIPModel.fromSource(source);
const grown = deepenClip(model, {
  visionLayers: Number(values["vision-layers"]), textLayers: Number(values["text-layers"]), seed: Number(values.seed),
});
// The tokenizer and preprocessor files travel with the weights, as in a fine-tune from `folder`.
const files = mkdtempSync(join(tmpdir(), "deepen-"));
const { vision_config: vision, text_config: text } = grown.config;
await prepareModelFiles(files, { initFolder: folder, imageSize: vision.image_size, contextLength: text.max_position_embeddings });
writeModelFolder(values.out, grown, files);
rmSync(files, { recursive: true, force: true });
console.log(`${values.out}: vision ${vision.num_hidden_layers} layers, text ${text.num_hidden_layers} layers, ${grown.numParameters()} parameters`);
