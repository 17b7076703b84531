/**
 * Multiple-choice parsing cases from MMMU's parse_multi_choice_response (eval_utils.py): the
 * bracketed letter, the bare letter, the option text (for answers over five words), the last
 * of several, and the seeded random pick.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { DatasetError } from "../../errors.js";
import { linesOf } from "../../../test/support/vqa-files.js";
import type { Reference } from "./files/references.js";
import { parseMultipleChoice, scoreMultipleChoice } from "./multiple-choice.js";
import { PythonRandom } from "./text/python-random.js";

const options = ["red apple", "blue sky", "green grass", "white snow"];

test("where the letter comes from", () => {
  const random = new PythonRandom(42);
  const cases: Array<[string, string, string, string]> = [
    ["(B)", "B", "bracket", "a bracketed letter"],
    ["The answer is (C).", "C", "bracket", "trailing '.' stripped; '(C)' found"],
    ["(A) or maybe (D)", "D", "bracket", "several: the one starting furthest right"],
    ["B", "B", "letter", "spaces are added around, so ' B ' is found"],
    ["B.", "B", "letter", "the trailing period is stripped first"],
    ["A or D", "D", "letter", "several bare letters: the last"],
    ["(B) but also A", "B", "bracket", "bracketed letters win over bare ones"],
    ["I think the picture shows the blue sky today", "B", "content", "over five words: an option's text"],
    ["the green grass is next to the blue sky here", "B", "content", "several texts: the one found last"],
    ["blue sky", "A", "random", "five words or fewer and no letter: random (first draw with seed 42 is A)"],
    ["Both a and b", "A", "random", "lowercase letters are not options (second draw: A)"],
  ];
  for (const [answer, letter, source, rule] of cases) {
    assert.deepEqual(parseMultipleChoice(answer, options, random), { letter, source }, `${JSON.stringify(answer)}: ${rule}`);
  }
  // The stream goes on as CPython's: its third choice from four letters is C.
  assert.deepEqual(parseMultipleChoice("?", options, random), { letter: "C", source: "random" });
});

test("scoring a file: letters or 0-based indices as answers; guesses counted", () => {
  const refs: Reference[] = [
    { id: "m1", answers: ["B"], options, group: "Art", source: "mmmu.jsonl:1" },
    { id: "m2", answers: [2], options, group: "Art", source: "mmmu.jsonl:2" },
    { id: "m3", answers: ["A"], options: ["yes", "no"], group: "Math", source: "mmmu.jsonl:3" },
  ];
  const answers = linesOf("answers.jsonl", [{ question_id: "m1", text: "(B)" }, { question_id: "m2", text: "D" }, { question_id: "m3", text: "hmm" }]);
  const r = scoreMultipleChoice(refs, answers);
  // m3 names no option: seed 42's first draw from [A, B] takes bit_length(2) = 2 bits:
  // 2746317213 >>> 30 = 2 is too big and is redrawn, 478163327 >>> 30 = 0 -> A.
  assert.deepEqual(r.items.map((i) => [i.prediction, i.source, i.score]), [["B", "bracket", 1], ["D", "letter", 0], ["A", "random", 1]]);
  assert.equal(r.randomGuesses, 1);
  assert.equal(r.accuracy, 2 / 3);
  assert.deepEqual(r.perGroup.Art, { accuracy: 0.5, count: 2 });
  assert.throws(
    () => scoreMultipleChoice([{ id: 1, answers: ["E"], options, source: "mmmu.jsonl:7" }], linesOf("a.jsonl", [{ question_id: 1, text: "A" }])),
    (e: unknown) => e instanceof DatasetError && /^mmmu\.jsonl:7: answer "E" is not one of the 4 options/.test(e.message),
  );
  assert.throws(() => scoreMultipleChoice([{ id: 1, answers: ["A"], source: "mmmu.jsonl:2" }], linesOf("a.jsonl", [])), /expected "options"/);
});
