#!/usr/bin/env node
// node --import tsx scripts/deepen-clip.mjs --model models/icons-clip --vision-layers 2 --out runs/icons-clip-deeper
// Appends identity-initialised layers to a CLIP model folder (see src/train/clip/deepen.ts);
// train the result with `vlm train clip --init <out>`.
import { parseArgs } from "node:util";
import { openModelSource } from "../src/io/model-source.ts";
import { CLIPModel } from "../src/models/clip/model.ts";
import { deepenClip } from "../src/train/clip/deepen.ts";
import { saveDerivedClip } from "../src/train/clip/model-folder.ts";

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
await saveDerivedClip(values.out, grown, folder);
const { vision_config: vision, text_config: text } = grown.config;
console.log(`${values.out}: vision ${vision.num_hidden_layers} layers, text ${text.num_hidden_layers} layers, ${grown.numParameters()} parameters`);
