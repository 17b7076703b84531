/**
 * No two source files import each other, directly or round a longer loop: a cycle makes the
 * load order decide which module sees the other half-initialised (CLIPModel.fromPretrained and
 * loadCLIP once imported each other). Type-only imports are erased at run time and not counted.
 */
import assert from "node:assert/strict";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { relativeImports, sourceFiles } from "../test/support/imports.js";

const SRC = dirname(fileURLToPath(import.meta.url));

/** Every cycle's files, as found by a depth-first walk. */
function cycles(graph: Map<string, string[]>): string[][] {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (file: string) => {
    state.set(file, "open");
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === "open") found.push(stack.slice(stack.indexOf(next)));
      else if (!state.has(next) && graph.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, "done");
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return found;
}

test("no import cycles between the files of src/", () => {
  const files = sourceFiles(SRC);
  const graph = new Map(files.map((f) => [f, relativeImports(f)]));
  assert.ok(graph.get(join(SRC, "index.ts"))!.length > 10, "the import parser finds index.ts's re-exports");
  const loops = cycles(graph).map((loop) => [...loop, loop[0]].map((f) => relative(SRC, f)).join(" -> "));
  assert.deepEqual(loops, []);
});
