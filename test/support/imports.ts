/**
 * The import graph of the source files, read as text: for tests that check how modules depend
 * on each other (no cycles in src/, nothing above src/backend reaching into a backend).
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/** Every `.ts` file under `dir` (tests too when `withTests`), as absolute paths. */
export function sourceFiles(dir: string, { withTests = false } = {}): string[] {
  const found: string[] = [];
  const walk = (at: string) => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (path.endsWith(".ts") && (withTests || !path.endsWith(".test.ts"))) found.push(path);
    }
  };
  walk(dir);
  return found;
}

/**
 * The files `file` imports or re-exports by relative path, resolved to their `.ts` sources.
 * `import type` / `export type` statements are erased at run time: counted only with `types`.
 */
export function relativeImports(file: string, { types = false } = {}): string[] {
  const text = readFileSync(file, "utf8");
  const statements = text.matchAll(/^(?:import|export)\s+(type\s+)?(?:[^;"]*?\sfrom\s+)?"(\.{1,2}\/[^"]+)"/gm);
  return [...statements].filter((m) => types || !m[1]).map((m) => resolve(dirname(file), m[2].replace(/\.js$/, ".ts")));
}
