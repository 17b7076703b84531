import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import sharp from "sharp";
import { curvesSvg, writeCurves } from "./plot.js";

test("curves render to SVG, PNG and HTML", async () => {
  const dir = mkdtempSync(join(tmpdir(), "vlm-plot-"));
  const loss = Array.from({ length: 50 }, (_, i) => [i + 1, 4 * Math.exp(-i / 10) + 0.1] as const);
  const png = await writeCurves(dir, "run <test>", [
    { title: "loss", xLabel: "step", logY: true, series: [{ name: "train", points: loss }] },
    { title: "zero-shot", xLabel: "epoch", series: [{ name: "top-1", points: [[1, 0.2], [2, 0.35]] }, { name: "top-5", points: [] }] },
    { title: "empty", xLabel: "step", series: [] },
  ]);
  const meta = await sharp(png).metadata();
  assert.equal(meta.format, "png");
  assert.equal(meta.width, 920);
  assert.ok(existsSync(join(dir, "curves.svg")) && existsSync(join(dir, "curves.html")));
  assert.match(readFileSync(join(dir, "curves.html"), "utf8"), /run &lt;test&gt;/);
});

test("a series with NaN points still draws its finite ones", () => {
  const svg = curvesSvg("t", [{ title: "p", xLabel: "x", series: [{ name: "s", points: [[0, 1], [1, NaN], [2, 3]] }] }]);
  assert.match(svg, /<path d="M[\d.]+,[\d.]+L[\d.]+,[\d.]+"/);
});

test("the legend goes to a corner the curve leaves free", () => {
  // A loss falling from the top-left corner to the bottom-right leaves the other two free.
  const falling = Array.from({ length: 40 }, (_, i) => [i, 40 - i] as const);
  const svg = curvesSvg("t", [{ title: "p", xLabel: "x", series: [{ name: "loss", points: falling }] }]);
  const backing = /<rect x="([\d.]+)" y="([\d.]+)" width="[\d.]+" height="[\d.]+" fill="white" fill-opacity/.exec(svg);
  assert.ok(backing, "a legend backing");
  const [x, y] = [Number(backing[1]), Number(backing[2])];
  const left = x < 200;
  const top = y < 120;
  assert.ok(left !== top, `legend at (${x}, ${y}): top-right or bottom-left, not on the curve`);
});
