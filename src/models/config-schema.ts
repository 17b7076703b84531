/**
 * Parsing model configs (config.json) with zod: unknown keys are ignored, as transformers
 * does; a wrong type or a missing required section is a ConfigError naming the field.
 */
import type { z } from "zod";
import { ConfigError } from "../errors.js";

export function parseConfig<S extends z.ZodType>(schema: S, value: unknown, source: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.length ? issue.path.join(".") : "(root)";
    return `${path}: ${issue.message}`;
  });
  throw new ConfigError(source, `invalid config: ${problems.join("; ")}`);
}
