#!/usr/bin/env node
// The `vlm` command. The TypeScript is compiled to dist/ on install (npm's "prepare").
import("../dist/cli/main.js")
  .then((cli) => cli.main(process.argv.slice(2)))
  .catch((err) => {
    if (err && err.code === "ERR_MODULE_NOT_FOUND" && String(err.message).includes("dist/cli")) {
      console.error("vlm: the TypeScript sources are not built yet; run `npm run build` in the vlmkit folder.");
    } else {
      console.error(`vlm: ${err && err.message ? err.message : err}`);
    }
    process.exit(1);
  });
