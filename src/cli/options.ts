/** Small helpers shared by the commands: option parsing and output. */
import { InvalidArgumentError } from "commander";
import { ArgumentError } from "../errors.js";

/** Collects a repeatable option into an array. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** A repeatable option's values as one value when given once (e.g. a single --caption-key). */
export function oneOrMany(values: readonly string[]): string | string[] | undefined {
  return values.length === 0 ? undefined : values.length === 1 ? values[0] : [...values];
}

export function positiveInt(name: string): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive integer, got "${value}"`);
    return n;
  };
}

export function nonNegativeInt(name: string): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative integer, got "${value}"`);
    return n;
  };
}

export function parseTemperature(value: string): number {
  const t = Number(value);
  if (!(t >= 0)) throw new ArgumentError(`--temperature must be a number >= 0, got "${value}"`);
  return t;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
