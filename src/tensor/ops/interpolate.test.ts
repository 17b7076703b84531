import { readFileSync } from "node:fs";
import { test } from "node:test";
import { Tensor, interpolateBicubic, mul, sum } from "../index.js";
import { assertClose } from "../../../test/support/assert.js";
import { forEachBackend } from "../../../test/support/backends.js";

interface Case { shape: number[]; size: [number, number]; out: number[]; grad: number[] }
const { cases } = JSON.parse(readFileSync(new URL("../../../test/fixtures/interpolate.json", import.meta.url), "utf8")) as { cases: Case[] };

forEachBackend("interpolateBicubic vs torch (bicubic, align_corners=False)", () => {
  for (const c of cases) {
    test(`${c.shape.join("x")} -> ${c.size.join("x")}: values and gradient`, () => {
      const n = c.shape.reduce((a, b) => a * b, 1);
      const x = new Tensor(Float32Array.from({ length: n }, (_, i) => Math.sin(i)), c.shape).setRequiresGrad();
      const y = interpolateBicubic(x, c.size[0], c.size[1]);
      assertClose(y, c.out, { atol: 2e-6, rtol: 1e-5 });
      const weights = new Tensor(Float32Array.from({ length: y.size }, (_, i) => Math.cos(i)), y.shape);
      sum(mul(y, weights)).backward();
      assertClose(x.grad!, c.grad, { atol: 1e-5, rtol: 1e-5 });
    });
  }
});
