#!/usr/bin/env node
// Entry point: `node dist/cli/run.js ...` (bin/vlm.js) or `node --import tsx src/cli/run.ts ...` in tests.
import { main } from "./main.js";

await main(process.argv.slice(2));
