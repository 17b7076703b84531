#!/usr/bin/env node
// node --import tsx scripts/rescale-clip-patches.mjs --model models/icons-clip --factor 2 --out runs/icons-clip-128
// Gives a CLIP image tower a k-times larger input with k-times larger patches, the same token grid
// and, on a box-filtered image, the same output (see src/train/clip/rescale-patches.ts).
import { parseArgs } from "node:util";
import { openModelSource } from "../src/io/model-source.ts";
import { CLIPModel } from "../src/models/clip/model.ts";
import { saveDerivedClip } from "../src/train/clip/model-folder.ts";
import { rescalePatches } from "../src/train/clip/rescale-patches.ts";

const { values } = parseArgs({ options: { model: { type: "string" }, out: { type: "string" }, factor: { type: "string", default: "2" } } });
if (!values.model || !values.out) {
  console.error("usage: rescale-clip-patches --model <folder> --out <folder> [--factor K]");
  process.exit(2);
}
const source = await openModelSource(values.model);
const scaled = rescalePatches(CLIPModel.fromSource(source), Number(values.factor));
await saveDerivedClip(values.out, scaled, source.folder);
const v = scaled.config.vision_config;
console.log(`${values.out}: ${v.image_size} px, patch ${v.patch_size}, ${(v.image_size / v.patch_size) ** 2} patches`);
