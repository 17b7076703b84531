import assert from "node:assert/strict";
import { test } from "node:test";
import { PythonRandom } from "./python-random.js";

// Expected values printed by CPython 3.11: random.seed(s); [random.getrandbits(32) ...] and
// [random.choice("ABCD") ...] (the same Mersenne Twister and _randbelow in every CPython 3).
test("getrandbits(32) equals CPython's after random.seed(n)", () => {
  const draw = (seed: number, n: number) => {
    const r = new PythonRandom(seed);
    return Array.from({ length: n }, () => r.getrandbits(32));
  };
  assert.deepEqual(draw(42, 3), [2746317213, 478163327, 107420369]);
  assert.deepEqual(draw(0, 2), [3626764237, 1654615998]);
  // A seed above 2^32 is seeded from two 32-bit words.
  assert.deepEqual(draw(2 ** 40 + 5, 2), [2166296868, 2220160828]);
  // The 700th value comes after the state is regenerated (624 words per twist).
  assert.equal(draw(42, 700)[699], 2918508077);
});

test("choice equals CPython's (bit_length(n) bits, redrawn while >= n)", () => {
  const picks = (letters: string) => {
    const r = new PythonRandom(42);
    return Array.from({ length: 12 }, () => r.choice([...letters])).join("");
  };
  assert.equal(picks("ABCD"), "AACBBBAADAAA");
  assert.equal(picks("ABCDE"), "AACBBBAEAEDA");
  assert.throws(() => new PythonRandom(42).choice([]), RangeError);
});
