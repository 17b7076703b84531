import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { downloadBars } from "./download-bars.js";
import { formatBytes, formatDuration } from "./format.js";

function sink(isTTY: boolean): Writable & { text: string; isTTY: boolean } {
  const stream = new Writable({
    write(chunk, _encoding, done) {
      stream.text += String(chunk);
      done();
    },
  }) as Writable & { text: string; isTTY: boolean };
  stream.text = "";
  stream.isTTY = isTTY;
  return stream;
}

describe("downloadBars", () => {
  it("draws nothing on a non-TTY stream unless forced", () => {
    const stream = sink(false);
    const report = downloadBars({ stream });
    report({ repo: "o/n", file: "model.safetensors", phase: "start", downloaded: 0, total: 10 });
    report({ repo: "o/n", file: "model.safetensors", phase: "done", downloaded: 10, total: 10 });
    assert.equal(stream.text, "");
  });

  it("when forced, draws a bar with the file, bytes, speed and ETA, and stops when the file is done", () => {
    const stream = sink(false);
    const report = downloadBars({ stream, force: true });
    report({ repo: "o/n", file: "model.safetensors", phase: "start", downloaded: 500_000, total: 2_000_000 });
    report({ repo: "o/n", file: "model.safetensors", phase: "data", downloaded: 1_000_000, total: 2_000_000 });
    report({ repo: "o/n", file: "model.safetensors", phase: "done", downloaded: 2_000_000, total: 2_000_000 });
    assert.match(stream.text, /model\.safetensors \|.*\| 100% \| 2\.00 MB\/2\.00 MB \| [\d.]+ \S*B\/s \| ETA /);
  });
});

describe("formatting", () => {
  it("formatBytes uses decimal units", () => {
    assert.equal(formatBytes(0), "0 B");
    assert.equal(formatBytes(999), "999 B");
    assert.equal(formatBytes(1500), "1.50 kB");
    assert.equal(formatBytes(30_185_172), "30.2 MB");
    assert.equal(formatBytes(7e12), "7.00 TB");
  });

  it("formatDuration shows mm:ss, h:mm:ss, and --:-- when unknown", () => {
    assert.equal(formatDuration(5), "00:05");
    assert.equal(formatDuration(3725), "1:02:05");
    assert.equal(formatDuration(Infinity), "--:--");
  });
});
