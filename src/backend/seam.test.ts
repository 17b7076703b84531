/**
 * src/backend/index.ts is the only door into the kernels: no file outside src/backend (library,
 * tests, benches) imports a backend implementation, not even for a type, so a missing kernel
 * can only be filled in one place (complete.ts), never by a fallback in an op.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { relativeImports, sourceFiles } from "../../test/support/imports.js";

const BACKEND = dirname(fileURLToPath(import.meta.url));
const ROOT = join(BACKEND, "..", "..");
const IMPLEMENTATIONS = [join(BACKEND, "js") + sep, join(BACKEND, "native") + sep];

test("nothing outside src/backend imports src/backend/js or src/backend/native", () => {
  const files = ["src", "test", "bench"]
    .map((dir) => join(ROOT, dir))
    .filter((dir) => existsSync(dir))
    .flatMap((dir) => sourceFiles(dir, { withTests: true }))
    .filter((file) => !file.startsWith(BACKEND + sep));
  const softmax = relativeImports(join(ROOT, "src", "tensor", "ops", "softmax.ts"), { types: true });
  assert.ok(softmax.includes(join(BACKEND, "index.ts")), "the import parser finds an op's import of src/backend/index.ts");
  const reaching = files.flatMap((file) =>
    relativeImports(file, { types: true })
      .filter((target) => IMPLEMENTATIONS.some((dir) => target.startsWith(dir)))
      .map((target) => `${relative(ROOT, file)} -> ${relative(ROOT, target)}`),
  );
  assert.deepEqual(reaching, []);
});
