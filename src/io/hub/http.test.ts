import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ArgumentError, HubError } from "../../errors.js";
import { hubSettings } from "./env.js";
import { resolveModelPath } from "./resolve.js";

/** A TCP server that accepts every connection and never sends a byte: a hung Hub host. */
async function silentServer(): Promise<{ server: Server; url: string; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return { server, url: `http://127.0.0.1:${port}`, sockets };
}

describe("Hub request timeouts", () => {
  let home = "";
  let silent: Awaited<ReturnType<typeof silentServer>>;
  before(async () => {
    home = await mkdtemp(join(tmpdir(), "vlmkit-http-"));
    silent = await silentServer();
  });
  after(async () => {
    for (const socket of silent.sockets) socket.destroy();
    await new Promise((resolve) => silent.server.close(resolve));
    await rm(home, { recursive: true, force: true });
  });

  it("gives up on a host that accepts but never answers after one timeout, naming the host", async () => {
    const env = { HF_HOME: home, HF_ENDPOINT: silent.url, HF_HUB_ETAG_TIMEOUT: "0.3" };
    const t0 = performance.now();
    const error = await resolveModelPath("org/model", { env, retries: 5, retryDelayMs: 500 }).then(
      () => assert.fail("expected a timeout"),
      (e: Error) => e,
    );
    const ms = performance.now() - t0;
    assert.ok(error instanceof HubError, String(error));
    assert.match(error.message, /^127\.0\.0\.1:\d+ did not answer within 0\.3 s \(connecting and waiting for the response; HF_HUB_ETAG_TIMEOUT sets it\): http:\/\/127\.0\.0\.1:\d+\/api\/models\/org\/model\/revision\/main$/);
    assert.ok(ms < 2000, `took ${ms.toFixed(0)} ms: a timeout must not be retried with backoff`);
  });

  it("reads both timeouts from huggingface_hub's variables, in seconds, 10 by default", () => {
    assert.deepEqual(
      [hubSettings({ env: {} }).requestTimeoutMs, hubSettings({ env: {} }).downloadTimeoutMs],
      [10_000, 10_000],
    );
    const set = hubSettings({ env: { HF_HUB_ETAG_TIMEOUT: "2.5", HF_HUB_DOWNLOAD_TIMEOUT: "60" } });
    assert.deepEqual([set.requestTimeoutMs, set.downloadTimeoutMs], [2500, 60_000]);
    for (const bad of ["0", "-1", "soon"]) {
      assert.throws(
        () => hubSettings({ env: { HF_HUB_DOWNLOAD_TIMEOUT: bad } }),
        (e: unknown) => e instanceof ArgumentError && e.message === `HF_HUB_DOWNLOAD_TIMEOUT must be a positive number of seconds, got "${bad}"`,
      );
    }
  });
});
