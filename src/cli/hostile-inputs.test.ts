/**
 * The hostile-input sweep (test/support/hostile-corpus.ts) through the `vlm` command as a user
 * runs it: each case ends with one named line and exit code 1 (or succeeds, where the input is
 * legitimate but once cost gigabytes), in bounded memory measured as the child's peak RSS.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import sharp from "sharp";
import { type HostileCase, writeHostileCorpus } from "../../test/support/hostile-corpus.js";
import { ImageTextLoader, openManifest } from "../data/index.js";

const entry = fileURLToPath(new URL("./run.ts", import.meta.url));
const peakRss = fileURLToPath(new URL("../../test/support/peak-rss.mjs", import.meta.url));

interface Run {
  code: number;
  stderr: string;
  peakMiB: number;
  ms: number;
}

/** `vlm args...` in a child process (async: a server in this process may have to answer it). */
function vlm(args: string[], env: Record<string, string>, rssFile: string): Promise<Run> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "--import", peakRss, entry, ...args], {
      env: { ...process.env, ...env, VLM_TEST_PEAK_RSS_FILE: rssFile },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), 240_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stderr, peakMiB: Number(readFileSync(rssFile, "utf8")) / 1024, ms: performance.now() - t0 });
    });
  });
}

function check(c: HostileCase, run: Run): void {
  if (c.error === null) {
    assert.equal(run.code, 0, `exit code 0 expected; stderr: ${run.stderr}`);
  } else {
    assert.equal(run.code, 1, `exit code 1 expected, got ${run.code}; stderr: ${run.stderr}`);
    const lines = run.stderr.trim().split("\n");
    assert.equal(lines.length, 1, `one line expected on stderr, got:\n${run.stderr}`);
    assert.match(lines[0], /^vlm: /);
    assert.doesNotMatch(lines[0], /unexpected error|Maximum call stack/);
    assert.match(lines[0], c.error);
  }
  assert.ok(run.peakMiB < c.maxRssMiB, `peak RSS ${run.peakMiB.toFixed(0)} MiB, bound ${c.maxRssMiB} MiB`);
}

describe("hostile inputs through the CLI", () => {
  const dir = mkdtempSync(join(tmpdir(), "vlmkit-hostile-"));
  const rssFile = join(dir, "peak-rss");
  let cases: HostileCase[] = [];
  before(async () => {
    cases = await writeHostileCorpus(dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("answers each case with its named error (or its result) in bounded memory", { timeout: 1_200_000 }, async (t) => {
    // Sequential: these measure memory, and the machine is shared.
    for (const c of cases) {
      await t.test(c.name, async (sub) => {
        const run = await vlm(c.args, c.env ?? {}, rssFile);
        sub.diagnostic(`peak RSS ${run.peakMiB.toFixed(0)} MiB; ${run.stderr.trim() || "exit 0"}`);
        check(c, run);
      });
    }
  });

  it("a Hub host that accepts and never answers fails after its timeout, naming the host", { timeout: 120_000 }, async () => {
    const sockets: Socket[] = [];
    const server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    try {
      const image = join(dir, "hub.png");
      writeFileSync(image, await sharp({ create: { width: 8, height: 8, channels: 3, background: "red" } }).png().toBuffer());
      const env = { HF_HOME: join(dir, "hf"), HF_ENDPOINT: `http://127.0.0.1:${port}`, HF_HUB_ETAG_TIMEOUT: "0.5" };
      const run = await vlm(["classify", image, "--labels", "cat,dog", "--model", "org/name"], env, rssFile);
      check({ name: "hub", args: [], error: new RegExp(`127\\.0\\.0\\.1:${port} did not answer within 0\\.5 s`), maxRssMiB: 400 }, run);
      // The timeout itself, not a backoff of retries (196 s before), bounds the wait.
      assert.ok(run.ms < 60_000, `took ${run.ms.toFixed(0)} ms`);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("a manifest row naming /dev/zero is skipped as not an image, at once", async () => {
    const manifest = join(dir, "rows.jsonl");
    writeFileSync(manifest, `${JSON.stringify({ filepath: "/dev/zero", title: "zeros" })}\n`);
    const loader = new ImageTextLoader(await openManifest(manifest), { batchSize: 1, workers: 1, onSkip: () => undefined });
    try {
      const t0 = performance.now();
      for await (const _ of loader.epoch(0)) assert.fail("nothing decodes");
      assert.deepEqual(loader.stats.skippedByReason, { "not-an-image": 1 });
      assert.ok(performance.now() - t0 < 30_000);
    } finally {
      await loader.close();
    }
  });
});
