import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { test } from "node:test";
import { TrainBar } from "./train-bar.js";

function sink(): Writable & { text: string } {
  const stream = new Writable({
    write(chunk, _encoding, done) {
      stream.text += String(chunk);
      done();
    },
  }) as Writable & { text: string };
  stream.text = "";
  return stream;
}

test("off a terminal: a plain line every logEvery steps and at the last, with the trainer's metrics", () => {
  const stream = sink();
  const bar = new TrainBar({ bar: false, logEvery: 2, metrics: [{ key: "logitScale", label: "exp(t)", digits: 2 }], unit: "img/s", stream: stream as unknown as NodeJS.WriteStream });
  bar.start({ step: 0, totalSteps: 3, resumedFrom: null });
  for (const step of [1, 2, 3]) {
    bar.step({ step, totalSteps: 3, epoch: 0, loss: 2.5 / step, lr: 1e-3, samplesPerSecond: 90.25, metrics: { logitScale: 14.2857, temperature: 0.07 } });
  }
  bar.log("[eval] done");
  bar.stop();
  const lines = stream.text.trimEnd().split("\n");
  assert.equal(lines.length, 3, stream.text);
  assert.match(lines[0], /^step 2\/3  loss 1\.2500  lr 1\.00e-3  exp\(t\) 14\.29  90\.3 img\/s  ETA \d\d:\d\d$/);
  assert.match(lines[1], /^step 3\/3  loss 0\.8333 /);
  assert.equal(lines[2], "[eval] done");
});
