import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Generator } from "../../tensor/index.js";
import { argmax, logitsProcessors, minP, repetitionPenalty, sample, temperature, topK, topP } from "./sampling.js";

const row = (...v: number[]) => Float32Array.from(v);
const logOf = (...p: number[]) => Float32Array.from(p, Math.log);
const NEG = -Infinity;

describe("logits processors (hand-checked, as transformers defines them)", () => {
  test("repetition penalty divides positive and multiplies negative logits of seen tokens, once each", () => {
    const l = row(2, -2, 1, 0.5);
    repetitionPenalty(2)(l, [0, 1, 1, 7]);
    assert.deepEqual([...l], [1, -4, 1, 0.5]);
  });

  test("temperature divides", () => {
    const l = row(1, -2);
    temperature(0.5)(l, []);
    assert.deepEqual([...l], [2, -4]);
  });

  test("top-k keeps the k largest, and every tie with the k-th", () => {
    const a = row(1, 3, 2, 0);
    topK(2)(a, []);
    assert.deepEqual([...a], [NEG, 3, 2, NEG]);
    const b = row(1, 3, 2, 2);
    topK(2)(b, []);
    assert.deepEqual([...b], [NEG, 3, 2, 2]);
    const c = row(1, 2);
    topK(5)(c, []);
    assert.deepEqual([...c], [1, 2]);
  });

  test("top-p keeps the most likely tokens until their mass reaches p", () => {
    // probabilities 0.5, 0.3, 0.15, 0.05: 0.5 + 0.3 = 0.8 >= 0.7, so two survive.
    const l = logOf(0.5, 0.3, 0.15, 0.05);
    topP(0.7)(l, []);
    assert.deepEqual([...l].map(Number.isFinite), [true, true, false, false]);
    const one = logOf(0.9, 0.1);
    topP(0.01)(one, []);
    assert.deepEqual([...one].map(Number.isFinite), [true, false], "the top token always survives");
  });

  test("min-p drops tokens below min_p times the top probability", () => {
    const l = logOf(0.15, 0.5, 0.3, 0.05);
    minP(0.4)(l, []); // threshold 0.2
    assert.deepEqual([...l].map(Number.isFinite), [false, true, true, false]);
  });

  test("greedy decoding applies only the repetition penalty; sampling adds the warpers in HF order", () => {
    assert.equal(logitsProcessors({ temperature: 0.5, topK: 3 }).length, 0);
    assert.equal(logitsProcessors({ repetitionPenalty: 1.3 }).length, 1);
    // temperature 0.5 then top-k 1 then top-p: the order is visible in the result.
    const l = row(1, 2, 0);
    for (const p of logitsProcessors({ doSample: true, temperature: 0.5, topK: 2, topP: 1, minP: 0 })) p(l, []);
    assert.deepEqual([...l], [2, 4, NEG]);
  });

  test("out-of-range settings are ArgumentErrors", () => {
    assert.throws(() => temperature(0), { name: "ArgumentError" });
    assert.throws(() => topK(0), { name: "ArgumentError" });
    assert.throws(() => topP(0), { name: "ArgumentError" });
    assert.throws(() => minP(2), { name: "ArgumentError" });
    assert.throws(() => repetitionPenalty(-1), { name: "ArgumentError" });
  });
});

describe("choosing a token", () => {
  test("argmax takes the first of equal maxima", () => {
    assert.equal(argmax(row(0, 5, 5, 1)), 1);
  });

  test("sampling follows the probabilities, never picks a removed token, and repeats with the seed", () => {
    const l = logOf(0.5, 0.3, 0.2, 0);
    l[3] = NEG;
    const g = new Generator(11);
    const counts = [0, 0, 0, 0];
    const n = 20000;
    for (let i = 0; i < n; i++) counts[sample(l, g)]++;
    assert.equal(counts[3], 0);
    [0.5, 0.3, 0.2].forEach((p, i) => assert.ok(Math.abs(counts[i] / n - p) < 0.015, `token ${i}: ${counts[i] / n} vs ${p}`));
    const draw = (seed: number) => {
      const gen = new Generator(seed);
      return Array.from({ length: 20 }, () => sample(l, gen));
    };
    assert.deepEqual(draw(5), draw(5));
    assert.notDeepEqual(draw(5), draw(6));
  });
});
