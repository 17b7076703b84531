import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let cached: string | null = null;

/**
 * The folder holding vlmkit's package.json, found by walking up from this file: it is
 * src/ under tsx and dist/ once compiled, and shipped files (models, the native addon) sit
 * beside it.
 */
export function packageRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "vlmkit") return (cached = dir);
      } catch {
        // An unreadable package.json of some other package: keep walking.
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no vlmkit package.json above ${import.meta.url}`);
    dir = parent;
  }
}
