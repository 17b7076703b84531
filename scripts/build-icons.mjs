#!/usr/bin/env node
// npm run data:icons [-- --size 96 --held-out-style openmoji --held-out-names 150 --seed 0 --out data/icons]
// Runs from the TypeScript sources (tsx), so it works in a fresh clone before any build.
import { parseArgs } from "node:util";
import { buildIconCorpus } from "../src/data/icons/index.ts";

const { values } = parseArgs({
  options: {
    out: { type: "string", default: "data/icons" },
    packages: { type: "string", default: "data/packages" },
    size: { type: "string", default: "64" },
    seed: { type: "string", default: "0" },
    "held-out-style": { type: "string", default: "twitter" },
    "held-out-names": { type: "string", default: "150" },
    "val-fraction": { type: "string", default: "0.05" },
  },
});
const started = Date.now();
await buildIconCorpus({
  out: values.out,
  packagesDir: values.packages,
  size: Number(values.size),
  seed: Number(values.seed),
  heldOutStyle: values["held-out-style"],
  heldOutNames: Number(values["held-out-names"]),
  valFraction: Number(values["val-fraction"]),
});
console.log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
