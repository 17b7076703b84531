/**
 * ChartQA relaxed accuracy cases from `relaxed_correctness` (ChartQA / Pix2Struct): numbers
 * within 5% of a non-zero reference, "%" read as /100, Python's float() deciding what is a
 * number; anything else compared as lowercase text.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { linesOf } from "../../../test/support/vqa-files.js";
import { relaxedCorrect, scoreChartQa } from "./chartqa.js";
import type { Reference } from "./files/references.js";

test("relaxed correctness", () => {
  const cases: Array<[string, string, boolean, string]> = [
    ["12.4", "12", true, "|12.4 - 12| / 12 = 3.3% <= 5%"],
    ["12.6", "12", true, "at the 5% boundary (0.6 / 12 in floats is just under 0.05, as in Python)"],
    ["13", "12", false, "8.3% off"],
    ["-10.4", "-10", true, "relative to |reference|"],
    ["45%", "0.45", true, "'%' divides by 100"],
    ["45", "45%", false, "45 vs 0.45"],
    ["1,000", "1000", false, "float('1,000') fails: compared as text"],
    ["1_000", "1000", true, "float('1_000') is 1000 in Python"],
    [" 7 ", "7", true, "float() strips whitespace"],
    ["0", "0", true, "a zero reference is falsy: text comparison, equal"],
    ["0.0", "0", false, "a zero reference is falsy: text comparison, unequal"],
    ["Yes", "yes", true, "text: case aside"],
    ["yes ", "yes", false, "text: no stripping"],
    ["nan", "nan", false, "NaN is truthy in Python, and never within tolerance"],
  ];
  for (const [answer, reference, want, rule] of cases) assert.equal(relaxedCorrect(answer, reference), want, `${answer} vs ${reference}: ${rule}`);
});

test("scoring a file: accuracy overall and per split", () => {
  const refs: Reference[] = [
    { id: 1, answers: ["62"], group: "human", source: "t:1" },
    { id: 2, answers: ["Brazil"], group: "human", source: "t:2" },
    { id: 3, answers: [0.3], group: "augmented", source: "t:3" },
  ];
  const answers = linesOf("answers.jsonl", [{ question_id: 1, text: "63" }, { question_id: 2, text: "Chile" }, { question_id: 3, text: "30%" }]);
  const r = scoreChartQa(refs, answers);
  assert.deepEqual(r.items.map((i) => i.score), [1, 0, 1]);
  assert.equal(r.accuracy, 2 / 3);
  assert.deepEqual(r.perGroup, { human: { accuracy: 0.5, count: 2 }, augmented: { accuracy: 1, count: 1 } });
});
