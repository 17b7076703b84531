import assert from "node:assert/strict";
import { test } from "node:test";
import { pyFloat, pyLen, pyRStrip, pySplit, pyStrip } from "./python-str.js";

test("split and strip use Python's whitespace, not JavaScript's", () => {
  // str.isspace(): \x1c-\x1f and \x85 are whitespace in Python, U+FEFF is not (JS \s says the opposite).
  assert.deepEqual(pySplit(" a\x1cb\x85c\u3000d "), ["a", "b", "c", "d"]);
  assert.deepEqual(pySplit("a\ufeffb"), ["a\ufeffb"]);
  assert.equal(pyStrip("\x1f\xa0 yes \t\n"), "yes");
  assert.equal(pyStrip("\ufeffyes"), "\ufeffyes");
  assert.deepEqual(pySplit("   "), []);
});

test("strip with characters removes only those, from the ends", () => {
  assert.equal(pyStrip("..a.b..", "."), "a.b");
  assert.equal(pyStrip(" (A). ", "."), " (A). ");
  assert.equal(pyRStrip("yes...", "."), "yes");
  assert.equal(pyRStrip("50%%", "%"), "50");
  assert.equal(pyStrip("x]", "]"), "x");
});

test("float() accepts what Python accepts and nothing else", () => {
  const cases: Array<[string, number | null]> = [
    ["12", 12], [" 12.5 ", 12.5], ["+1.", 1], [".5", 0.5], ["-1e3", -1000], ["1_000", 1000], ["1E-2", 0.01],
    ["inf", Infinity], ["-Infinity", -Infinity],
    ["", null], [" ", null], ["0x10", null], ["1,000", null], ["_1", null], ["1__0", null], ["1.2.3", null], ["12%", null], ["e5", null],
  ];
  for (const [text, want] of cases) assert.equal(pyFloat(text), want, JSON.stringify(text));
  assert.ok(Number.isNaN(pyFloat("NaN")));
});

test("len counts code points", () => {
  assert.equal(pyLen("héllo"), 5);
  assert.equal(pyLen("😀a"), 2);
});
