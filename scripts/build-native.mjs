#!/usr/bin/env node
// `npm install` hook: builds the C++ addon (build/Release/vlmkit_native.node) with node-gyp.
// Never fails the install: without a compiler the toolkit still works on the js backend, so a
// failed build prints one warning line (full log in build/native-build.log) and exits 0.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const warn = (reason) =>
  console.warn(`vlmkit: native addon could not be built (${reason}); falling back to the js backend`);

if (process.env.VLM_SKIP_NATIVE === "1") {
  console.log("vlmkit: VLM_SKIP_NATIVE=1, native addon not built; using the js backend");
  process.exit(0);
}

// node-gyp entry points, best first: the one npm runs this hook with (matched to this Node),
// the project's own dependency, and the copy bundled with the npm next to this node binary.
// Several because a node-gyp release may not run on every Node version (13.x needs Node 22).
const prefix = dirname(dirname(process.execPath));
const candidates = [
  process.env.npm_config_node_gyp,
  join(root, "node_modules", "node-gyp", "bin", "node-gyp.js"),
  join(prefix, "lib", "node_modules", "npm", "node_modules", "node-gyp", "bin", "node-gyp.js"),
].filter((p, i, all) => p && existsSync(p) && all.indexOf(p) === i);

// Build against the headers installed with Node when there are any, so no download is needed.
const args = ["rebuild"];
if (!process.env.npm_config_nodedir && existsSync(join(prefix, "include", "node", "node_api.h"))) {
  args.push(`--nodedir=${prefix}`);
}

let log = "";
let reason = "node-gyp not found";
for (const gyp of candidates) {
  const run = spawnSync(process.execPath, [gyp, ...args], { cwd: root, encoding: "utf8" });
  log += `$ node ${gyp} ${args.join(" ")}\n${run.stdout ?? ""}${run.stderr ?? ""}\n`;
  if (run.status === 0 && existsSync(join(root, "build", "Release", "vlmkit_native.node"))) {
    console.log(`vlmkit: native addon built (${gyp})`);
    process.exit(0);
  }
  const lines = `${run.stderr ?? ""}${run.error ? String(run.error) : ""}`.split("\n");
  const err = lines.find((l) => /error:|Error:/.test(l)) ?? lines.filter(Boolean).pop();
  reason = err ? err.replace(/^gyp ERR! (stack )?/, "").trim() : `node-gyp exited with ${run.status}`;
}
try {
  mkdirSync(join(root, "build"), { recursive: true });
  writeFileSync(join(root, "build", "native-build.log"), log);
  reason += "; see build/native-build.log";
} catch {
  // The log is a convenience; the warning line is what matters.
}
warn(reason);
