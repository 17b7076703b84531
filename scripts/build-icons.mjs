#!/usr/bin/env node
// npm run data:icons [-- --size 96 --held-out-style openmoji --held-out-names 150 --seed 0 --out data/icons]
// `vlm data build icons` run from the TypeScript sources (tsx), so it works in a fresh clone before any build.
import { main } from "../src/cli/main.ts";

await main(["data", "build", "icons", ...process.argv.slice(2)]);
