import { existsSync } from "node:fs";
import { join } from "node:path";
import { ArgumentError, NotFoundError } from "../errors.js";
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

/**
 * `source`, or the shipped LLaVA when none is given. None ships yet (a useful one is
 * gigabytes), so for now the model must be named; the shipped default goes here.
 */
export function llavaModelOrDefault(source: string | undefined): string {
  if (source) return source;
  throw new ArgumentError(
    "no LLaVA model is shipped with vlmkit: pass one with --model, e.g. --model llava-hf/llava-1.5-7b-hf (a Hub id) or --model ./my-llava (a folder)",
  );
}
