import { existsSync } from "node:fs";
import { join } from "node:path";
import { NotFoundError } from "../errors.js";
import { packageRoot } from "../package-root.js";

/** The CLIP model that ships inside the package (trained by us; see models/ in the README). */
export function defaultClipModelDir(): string {
  return join(packageRoot(), "models", "icons-clip");
}

/** `source`, or the shipped default when none is given (with a clear error if it is missing). */
export function clipModelOrDefault(source: string | undefined): string {
  if (source) return source;
  const dir = defaultClipModelDir();
  if (!existsSync(join(dir, "config.json"))) {
    throw new NotFoundError(
      `no model given and the default model is not installed at ${dir}; pass one with --model <hub id | folder | file>, e.g. --model openai/clip-vit-base-patch32`,
    );
  }
  return dir;
}
