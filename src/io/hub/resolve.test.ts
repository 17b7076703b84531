import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import { FakeHub, fixtureContents, listen } from "../../../test/support/fake-hub.js";
import { ArgumentError, HubAuthError, HubError, HubNotFoundError, IntegrityError, NotCachedError, NotFoundError } from "../../errors.js";
import type { DownloadProgress } from "./progress.js";
import { resolveModelPath, type ResolveOptions } from "./resolve.js";

// ---------------------------------------------------------------------------------------------

const REPO = "vlmkit-test/clip-tiny";
const contents = fixtureContents();
// Files a real repo carries that the default selection must leave alone.
contents["pytorch_model.bin"] = randomBytes(1000);
contents["README.md"] = Buffer.from("# tiny clip\n");

const SHARDED = "vlmkit-test/sharded";
const shard1 = randomBytes(50_000);
const shard2 = randomBytes(70_000);
const shardedContents = {
  "config.json": Buffer.from("{}"),
  "model.safetensors.index.json": Buffer.from(
    JSON.stringify({ metadata: {}, weight_map: { a: "model-00001-of-00002.safetensors", b: "model-00002-of-00002.safetensors" } }),
  ),
  "model-00001-of-00002.safetensors": shard1,
  "model-00002-of-00002.safetensors": shard2,
  "pytorch_model.bin": randomBytes(100),
};

const EXPECTED_DEFAULT = Object.keys(contents)
  .filter((f) => f !== "pytorch_model.bin" && f !== "README.md")
  .sort();

const fake = new FakeHub();
const repo = fake.addRepo(REPO, contents);
const sharded = fake.addRepo(SHARDED, shardedContents);
let home: string;
let env: Record<string, string>;

/** Options as a user would set them: only environment variables, no process.env mutation. */
function opts(extra: ResolveOptions = {}): ResolveOptions {
  return { env, retryDelayMs: 1, ...extra };
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => assert.fail("expected a rejection"),
    (error: Error) => error,
  );
}

function oneLine(error: Error): void {
  assert.ok(!error.message.includes("\n"), `multi-line message: ${error.message}`);
}

before(() => fake.start());
after(() => fake.stop());
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), "vlm-hub-"));
  env = { HF_HOME: home, HF_ENDPOINT: fake.url };
  fake.log = [];
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

describe("resolveModelPath from the Hub", () => {
  it("downloads the default selection into the huggingface_hub cache layout", async () => {
    const events: DownloadProgress[] = [];
    const dir = await resolveModelPath(REPO, opts({ onProgress: (e) => events.push(e) }));

    const repoDir = join(home, "hub", "models--vlmkit-test--clip-tiny");
    assert.equal(dir, join(repoDir, "snapshots", repo.commit));
    assert.equal(readFileSync(join(repoDir, "refs", "main"), "utf8"), repo.commit);
    assert.deepEqual(readdirSync(dir).sort(), EXPECTED_DEFAULT);
    for (const name of EXPECTED_DEFAULT) {
      const file = repo.files.get(name)!;
      const pointer = join(dir, name);
      assert.ok(lstatSync(pointer).isSymbolicLink(), `${name} is not a symlink`);
      assert.equal(readlinkSync(pointer), `../../blobs/${file.etag}`);
      assert.ok(readFileSync(pointer).equals(file.bytes), `${name} differs from the served bytes`);
    }
    assert.deepEqual(readdirSync(join(repoDir, "blobs")).sort(), EXPECTED_DEFAULT.map((n) => repo.files.get(n)!.etag).sort());
    assert.equal(fake.count({ path: `/${REPO}/resolve/${repo.commit}/pytorch_model.bin` }), 0);
    assert.equal(fake.count({ path: `/${REPO}/resolve/${repo.commit}/README.md` }), 0);

    const weights = events.filter((e) => e.file === "model.safetensors");
    const size = contents["model.safetensors"]!.length;
    assert.deepEqual(weights[0], { repo: REPO, file: "model.safetensors", phase: "start", downloaded: 0, total: size });
    assert.deepEqual(weights.at(-1), { repo: REPO, file: "model.safetensors", phase: "done", downloaded: size, total: size });
  });

  it("a second call does not download again: one API request, no HEAD or GET of files", async () => {
    const first = await resolveModelPath(REPO, opts());
    const requests = fake.log.length;
    assert.equal(requests, 1 + 2 * EXPECTED_DEFAULT.length, "first call: API + HEAD and GET per file");
    const second = await resolveModelPath(REPO, opts());
    assert.equal(second, first);
    assert.deepEqual(
      fake.log.slice(requests).map((r) => `${r.server} ${r.method} ${r.path}`),
      [`hub GET /api/models/${REPO}/revision/main`],
    );
  });

  it("sends HF_TOKEN to the Hub but never to the CDN it redirects to", async () => {
    fake.protected.set(REPO, { token: "hf_secret", gated: false });
    try {
      await resolveModelPath(REPO, opts({ env: { ...env, HF_TOKEN: "hf_secret" } }));
    } finally {
      fake.protected.delete(REPO);
    }
    const hub = fake.log.filter((r) => r.server === "hub");
    const cdn = fake.log.filter((r) => r.server === "cdn");
    assert.ok(hub.length > 0 && cdn.length > 0);
    assert.ok(hub.every((r) => r.authorization === "Bearer hf_secret"));
    assert.ok(cdn.every((r) => r.authorization === undefined), "token leaked to the CDN");
  });

  it("reads the token from $HF_HOME/token", async () => {
    fake.protected.set(REPO, { token: "hf_file", gated: false });
    writeFileSync(join(home, "token"), "hf_file\n");
    try {
      await resolveModelPath(REPO, opts({ files: ["config.json"] }));
    } finally {
      fake.protected.delete(REPO);
    }
    assert.ok(fake.log.every((r) => r.authorization === "Bearer hf_file"));
  });

  it("resumes with a Range request after the connection drops mid-file", async () => {
    const weights = repo.files.get("model.safetensors")!;
    const cut = Math.floor(weights.bytes.length / 3);
    fake.cutOnce.set(weights.etag, cut);
    const dir = await resolveModelPath(REPO, opts({ files: ["model.safetensors"] }));

    const gets = fake.log.filter((r) => r.server === "cdn" && r.method === "GET");
    assert.equal(gets.length, 2);
    assert.equal(gets[0]!.range, undefined);
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(gets[1]!.range ?? "")?.[1]);
    assert.ok(resumedAt > 0 && resumedAt <= cut, `resumed at ${gets[1]!.range}`);
    assert.ok(readFileSync(join(dir, "model.safetensors")).equals(weights.bytes));
    assert.ok(!existsSync(join(home, "hub", "models--vlmkit-test--clip-tiny", "blobs", `${weights.etag}.incomplete`)));
  });

  it("resumes a .incomplete file left by an earlier process", async () => {
    const weights = repo.files.get("model.safetensors")!;
    const blobs = join(home, "hub", "models--vlmkit-test--clip-tiny", "blobs");
    mkdirSync(blobs, { recursive: true });
    writeFileSync(join(blobs, `${weights.etag}.incomplete`), weights.bytes.subarray(0, 12345));
    const dir = await resolveModelPath(REPO, opts({ files: ["model.safetensors"] }));
    assert.deepEqual(
      fake.log.filter((r) => r.server === "cdn").map((r) => r.range),
      ["bytes=12345-"],
    );
    assert.ok(readFileSync(join(dir, "model.safetensors")).equals(weights.bytes));
  });

  // The timeout turns a regression (no idle timeout) into a failure instead of a hung suite.
  it("aborts a stalled download after the idle timeout and resumes it", { timeout: 10_000 }, async () => {
    const weights = repo.files.get("model.safetensors")!;
    fake.stallOnce.set(weights.etag, 100_000);
    const dir = await resolveModelPath(REPO, opts({ files: ["model.safetensors"], timeoutMs: 300 }));
    const gets = fake.log.filter((r) => r.server === "cdn" && r.method === "GET");
    assert.equal(gets.length, 2);
    assert.match(gets[1]!.range ?? "", /^bytes=[1-9]\d*-$/);
    assert.ok(readFileSync(join(dir, "model.safetensors")).equals(weights.bytes));
  });

  it("rewrites from byte 0 when the server ignores the Range header", async () => {
    const weights = repo.files.get("model.safetensors")!;
    const blobs = join(home, "hub", "models--vlmkit-test--clip-tiny", "blobs");
    mkdirSync(blobs, { recursive: true });
    writeFileSync(join(blobs, `${weights.etag}.incomplete`), weights.bytes.subarray(0, 5000));
    fake.ignoreRange = true;
    try {
      const dir = await resolveModelPath(REPO, opts({ files: ["model.safetensors"] }));
      assert.ok(readFileSync(join(dir, "model.safetensors")).equals(weights.bytes));
    } finally {
      fake.ignoreRange = false;
    }
    assert.equal(fake.count({ server: "cdn", method: "GET", range: "bytes=5000-" }), 1);
  });

  it("rejects bytes whose sha256 differs from the LFS etag, and deletes the partial file", async () => {
    const weights = repo.files.get("model.safetensors")!;
    const partial = join(home, "hub", "models--vlmkit-test--clip-tiny", "blobs", `${weights.etag}.incomplete`);
    mkdirSync(join(partial, ".."), { recursive: true });
    writeFileSync(partial, Buffer.alloc(1000, 7)); // a prefix that is not the file's
    const error = await rejection(resolveModelPath(REPO, opts({ files: ["model.safetensors"] })));
    assert.ok(error instanceof IntegrityError, String(error));
    assert.match(error.message, /^model\.safetensors: sha256 [0-9a-f]{64} does not match the Hub's [0-9a-f]{64} \(from http:\/\/127\.0\.0\.1:\d+\/blobs\//);
    oneLine(error);
    assert.ok(!existsSync(partial));
    assert.ok(!existsSync(partial.replace(/\.incomplete$/, "")), "a bad blob was put in place");
  });

  it("concurrent calls share one download of each blob", async () => {
    const [a, b] = await Promise.all([resolveModelPath(REPO, opts()), resolveModelPath(REPO, opts())]);
    assert.equal(a, b);
    assert.equal(fake.count({ server: "cdn", method: "GET" }), repoLfsCount());
    assert.ok(readFileSync(join(a, "model.safetensors")).equals(repo.files.get("model.safetensors")!.bytes));
  });

  it("fetches the shards a safetensors index names, not the .bin", async () => {
    const dir = await resolveModelPath(SHARDED, opts());
    assert.deepEqual(readdirSync(dir).sort(), [
      "config.json",
      "model-00001-of-00002.safetensors",
      "model-00002-of-00002.safetensors",
      "model.safetensors.index.json",
    ]);
    assert.ok(readFileSync(join(dir, "model-00002-of-00002.safetensors")).equals(shard2));
    assert.equal(fake.count({ path: `/${SHARDED}/resolve/${sharded.commit}/pytorch_model.bin` }), 0);
  });

  it("takes explicit files, a RegExp or glob patterns instead of the default", async () => {
    const dir = await resolveModelPath(REPO, opts({ files: /\.txt$|^README/ }));
    assert.deepEqual(readdirSync(dir).sort(), ["README.md", "merges.txt"]);
    const again = await resolveModelPath(REPO, opts({ allowPatterns: ["*.bin"] }));
    assert.deepEqual(readdirSync(again).sort(), ["README.md", "merges.txt", "pytorch_model.bin"]);
  });

  it("pins a commit: files are fetched at that commit and no ref is written for it", async () => {
    const dir = await resolveModelPath(REPO, opts({ revision: repo.commit, files: ["config.json"] }));
    assert.equal(dir, join(home, "hub", "models--vlmkit-test--clip-tiny", "snapshots", repo.commit));
    assert.ok(!existsSync(join(home, "hub", "models--vlmkit-test--clip-tiny", "refs")));
  });

  it("retries a 503 from the API", async () => {
    fake.failApi = 2;
    await resolveModelPath(REPO, opts({ files: ["config.json"] }));
    assert.equal(fake.count({ path: `/api/models/${REPO}/revision/main` }), 3);
  });

  it("honours HF_ENDPOINT: nothing is asked of another host", async () => {
    const other = new FakeHub();
    other.addRepo(REPO, contents);
    await other.start();
    try {
      await resolveModelPath(REPO, opts({ env: { ...env, HF_ENDPOINT: other.url }, files: ["config.json"] }));
    } finally {
      await other.stop();
    }
    assert.equal(fake.log.length, 0);
    assert.equal(other.log.length, 3);
  });
});

describe("resolveModelPath errors", () => {
  it("401 says private/gated/missing and mentions HF_TOKEN, the repo and the URL", async () => {
    const error = await rejection(resolveModelPath("vlmkit-test/private", opts()));
    assert.ok(error instanceof HubAuthError, String(error));
    assert.match(error.message, /^vlmkit-test\/private at revision "main": .*private, gated or does not exist; set HF_TOKEN/);
    assert.match(error.message, /\(HTTP 401 from http:\/\/127\.0\.0\.1:\d+\/api\/models\/vlmkit-test\/private\/revision\/main\)$/);
    oneLine(error);
  });

  it("a gated repo asks to accept its conditions and set HF_TOKEN", async () => {
    fake.protected.set(REPO, { token: "hf_ok", gated: true });
    try {
      const error = await rejection(resolveModelPath(REPO, opts({ env: { ...env, HF_TOKEN: "hf_wrong" } })));
      assert.ok(error instanceof HubAuthError);
      assert.match(error.message, /gated model: accept its conditions .* set HF_TOKEN/);
    } finally {
      fake.protected.delete(REPO);
    }
  });

  it("404 for a file names the repo, the file and the revision", async () => {
    const error = await rejection(resolveModelPath(REPO, opts({ files: ["config.json", "nope.json"] })));
    assert.ok(error instanceof HubNotFoundError && error instanceof NotFoundError, String(error));
    assert.match(error.message, new RegExp(`^${REPO}: no nope\\.json at revision "main" \\(${repo.commit}\\); the repo has: `));
    oneLine(error);
    assert.equal(fake.log.length, 1, "nothing is downloaded when a requested file is missing");
  });

  it("404 for a revision names it", async () => {
    const error = await rejection(resolveModelPath(REPO, opts({ revision: "v9" })));
    assert.ok(error instanceof HubNotFoundError);
    assert.match(error.message, new RegExp(`^${REPO}: revision "v9" not found \\(HTTP 404 from http://127\\.0\\.0\\.1:\\d+/api/models/${REPO}/revision/v9\\)$`));
  });

  it("a server that is not a Hub (no X-Repo-Commit) is a clear error", async () => {
    const plain = createServer((req, res) => {
      if (req.url!.startsWith("/api/")) res.writeHead(200).end(JSON.stringify({ sha: "a".repeat(40), siblings: [{ rfilename: "config.json" }] }));
      else res.writeHead(200, { etag: '"x"', "content-length": "2" }).end("{}");
    });
    const url = await listen(plain);
    try {
      const error = await rejection(resolveModelPath(REPO, opts({ env: { ...env, HF_ENDPOINT: url }, files: ["config.json"] })));
      assert.ok(error instanceof HubError);
      assert.match(error.message, /"config\.json": no X-Repo-Commit header from http:\/\/127\.0\.0\.1:\d+\/vlmkit-test\/clip-tiny\/resolve\/a{40}\/config\.json/);
    } finally {
      plain.closeAllConnections();
      await new Promise((resolve) => plain.close(resolve));
    }
  });

  it("local paths are returned as is; missing paths and malformed ids are named", async () => {
    assert.equal(await resolveModelPath(home, opts()), home);
    const missing = await rejection(resolveModelPath(join(home, "nope"), opts()));
    assert.ok(missing instanceof NotFoundError && !(missing instanceof HubNotFoundError));
    assert.equal(missing.message, `${join(home, "nope")}: no such file or folder`);
    for (const bad of ["clip", "a/b/c", "org/na me"]) {
      const error = await rejection(resolveModelPath(bad, opts()));
      assert.ok(error instanceof ArgumentError, bad);
      assert.ok(error.message.includes(`"${bad}" is neither an existing local path nor a Hub model id`), error.message);
    }
    assert.equal(fake.log.length, 0);
  });
});

describe("offline", () => {
  const offline = () => ({ ...env, HF_HUB_OFFLINE: "1" });

  it("HF_HUB_OFFLINE=1 resolves from the cache without any request", async () => {
    const online = await resolveModelPath(REPO, opts());
    fake.log = [];
    assert.equal(await resolveModelPath(REPO, opts({ env: offline() })), online);
    assert.equal(await resolveModelPath(REPO, opts({ env: offline(), revision: repo.commit, files: ["config.json"] })), online);
    assert.equal(fake.log.length, 0);
  });

  it("HF_HUB_OFFLINE=1 fails clearly, without a request, when the model is not cached", async () => {
    const error = await rejection(resolveModelPath(REPO, opts({ env: offline() })));
    assert.ok(error instanceof NotCachedError, String(error));
    assert.equal(
      error.message,
      `${REPO} (revision "main") is not in the Hugging Face cache at ${join(home, "hub", "models--vlmkit-test--clip-tiny")}; ` +
        "HF_HUB_OFFLINE is set: download it once online, or unset HF_HUB_OFFLINE",
    );
    assert.equal(fake.log.length, 0);
  });

  it("HF_HUB_OFFLINE=1 names the files missing from a partly cached snapshot", async () => {
    const dir = await resolveModelPath(SHARDED, opts());
    unlinkSync(join(dir, "model-00002-of-00002.safetensors"));
    const error = await rejection(resolveModelPath(SHARDED, opts({ env: offline() })));
    assert.ok(error instanceof NotCachedError);
    assert.match(error.message, /is only partly cached in .*, missing model-00002-of-00002\.safetensors; HF_HUB_OFFLINE is set/);
    const explicit = await rejection(resolveModelPath(SHARDED, opts({ env: offline(), files: ["tokenizer.json"] })));
    assert.match(explicit.message, /missing tokenizer\.json;/);
  });

  it("an unreachable Hub falls back to the cache, and says so when not cached", async () => {
    await resolveModelPath(REPO, opts({ files: ["config.json"] }));
    const dead = createServer();
    const deadUrl = await listen(dead);
    await new Promise((resolve) => dead.close(resolve)); // nothing listens on that port any more
    const unreachable = { env: { ...env, HF_ENDPOINT: deadUrl }, retries: 1 };
    const dir = await resolveModelPath(REPO, opts({ ...unreachable, files: ["config.json"] }));
    assert.ok(existsSync(join(dir, "config.json")));
    const error = await rejection(resolveModelPath(SHARDED, opts(unreachable)));
    assert.ok(error instanceof HubError && !(error instanceof NotCachedError), String(error));
    // A refused connection is not retried (no "gave up after" attempts): it fails at once.
    assert.match(error.message, /^cannot connect to 127\.0\.0\.1:\d+: ECONNREFUSED \(http:\/\/127\.0\.0\.1:\d+\/api\/models\/vlmkit-test\/sharded\/revision\/main\)$/);
  });
});

function repoLfsCount(): number {
  return EXPECTED_DEFAULT.filter((n) => repo.files.get(n)!.lfs).length;
}
