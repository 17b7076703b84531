import assert from "node:assert/strict";
import { test } from "node:test";
import { ArgumentError } from "../errors.js";
import { loadSafetensors } from "../io/index.js";
import { referencePath, skipWithoutReference } from "../../test/support/reference.js";
import { generateTokens, loadTokenGenerator, samplingOptions } from "./generate.js";

test("greedy ids from the reference tiny LLaVA equal the reference's, both rows", { skip: skipWithoutReference("llava", "tiny") }, async () => {
  const expected = loadSafetensors(referencePath("llava", "tiny", "expected.safetensors"));
  const pixelValues = loadSafetensors(referencePath("llava", "tiny", "pixels.safetensors")).get("pixel_values")!;
  const llava = await loadTokenGenerator(referencePath("llava", "tiny"));
  assert.equal(llava.modelType, "llava");
  const inputIds = expected.get("input_ids")!.toArray() as number[][];
  const out = generateTokens(llava, { inputIds, pixelValues }, { maxNewTokens: 10 });
  assert.deepEqual(out.sequences, expected.get("generated_ids")!.toArray());
  assert.throws(() => generateTokens(llava, { inputIds: [] }, { maxNewTokens: 1 }), ArgumentError);
});

test("sampling choices: greedy unless a temperature above 0", () => {
  assert.deepEqual(samplingOptions({}), { seed: undefined });
  assert.deepEqual(samplingOptions({ temperature: 0, seed: 3 }), { seed: 3 });
  assert.deepEqual(samplingOptions({ temperature: 0.7, seed: 3 }), { seed: 3, doSample: true, temperature: 0.7 });
});
