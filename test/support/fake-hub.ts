/**
 * A fake Hub for tests: node:http on 127.0.0.1 playing huggingface.co (model info API,
 * /resolve/ with HEAD/GET, ETag, X-Repo-Commit, Range) plus a second server playing the CDN that
 * LFS files are redirected to. Every request is logged so tests can count them. Tests never
 * touch the real network.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { referencePath } from "./reference.js";

const FIXTURE = referencePath("clip", "tiny", "hf");

export interface RepoFile {
  bytes: Buffer;
  etag: string;
  lfs: boolean;
}

export interface LoggedRequest {
  server: "hub" | "cdn";
  method: string;
  path: string;
  authorization: string | undefined;
  range: string | undefined;
}

export const gitSha1 = (bytes: Buffer) => createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
export const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

export function repoFiles(contents: Record<string, Buffer>): Map<string, RepoFile> {
  const files = new Map<string, RepoFile>();
  for (const [name, bytes] of Object.entries(contents)) {
    // As on the Hub: weights are LFS (etag = sha256, served from the CDN), the rest plain git.
    const lfs = /\.(safetensors|bin)$/.test(name);
    files.set(name, { bytes, lfs, etag: lfs ? sha256(bytes) : gitSha1(bytes) });
  }
  return files;
}

/** The reference CLIP folder, or a small stand-in on a clone without ../shared. */
export function fixtureContents(): Record<string, Buffer> {
  if (existsSync(FIXTURE)) {
    return Object.fromEntries(readdirSync(FIXTURE).map((name) => [name, readFileSync(join(FIXTURE, name))]));
  }
  return {
    "config.json": Buffer.from(JSON.stringify({ model_type: "clip", projection_dim: 8 })),
    "tokenizer_config.json": Buffer.from("{}"),
    "vocab.json": Buffer.from(JSON.stringify({ a: 0, b: 1 })),
    "merges.txt": Buffer.from("#version: 0.2\na b\n"),
    "preprocessor_config.json": Buffer.from(JSON.stringify({ crop_size: 8 })),
    "model.safetensors": randomBytes(3 << 20),
  };
}

export class FakeHub {
  hub!: Server;
  cdn!: Server;
  url = "";
  cdnUrl = "";
  log: LoggedRequest[] = [];
  repos = new Map<string, { commit: string; files: Map<string, RepoFile> }>();
  /** Repos answering 401 unless this Bearer token is sent; "gated" adds X-Error-Code: GatedRepo. */
  protected = new Map<string, { token: string; gated: boolean }>();
  /** CDN blobs (by sha256) whose next GET is cut after this many bytes. */
  cutOnce = new Map<string, number>();
  /** CDN blobs whose next GET sends this many bytes and then stalls, connection open. */
  stallOnce = new Map<string, number>();
  /** The CDN answers 200 with the whole file even to Range requests, as some servers do. */
  ignoreRange = false;
  /** Answer 503 to this many API requests before behaving. */
  failApi = 0;

  addRepo(id: string, contents: Record<string, Buffer>): { commit: string; files: Map<string, RepoFile> } {
    const repo = { commit: createHash("sha1").update(id).digest("hex"), files: repoFiles(contents) };
    this.repos.set(id, repo);
    return repo;
  }

  async start(): Promise<void> {
    this.hub = createServer((req, res) => this.serveHub(req, res));
    this.cdn = createServer((req, res) => this.serveCdn(req, res));
    this.url = await listen(this.hub);
    this.cdnUrl = await listen(this.cdn);
  }

  async stop(): Promise<void> {
    for (const server of [this.hub, this.cdn]) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  }

  count(filter: Partial<LoggedRequest>): number {
    return this.log.filter((r) => Object.entries(filter).every(([k, v]) => r[k as keyof LoggedRequest] === v)).length;
  }

  private record(server: "hub" | "cdn", req: IncomingMessage): void {
    this.log.push({ server, method: req.method!, path: decodeURIComponent(req.url!.split("?")[0]!), authorization: req.headers.authorization, range: req.headers.range });
  }

  private serveHub(req: IncomingMessage, res: ServerResponse): void {
    this.record("hub", req);
    const path = req.url!.split("?")[0]!;
    const api = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/([^/]+)$/.exec(path);
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    const id = api?.[1] ?? resolve?.[1];
    const repo = id ? this.repos.get(id) : undefined;
    const guard = id ? this.protected.get(id) : undefined;
    if (!repo || (guard && req.headers.authorization !== `Bearer ${guard.token}`)) {
      // Like the Hub: anonymous requests cannot tell a private repo from a missing one.
      res.writeHead(401, { "x-error-code": guard?.gated ? "GatedRepo" : "RepoNotFound" }).end();
      return;
    }
    const revision = decodeURIComponent((api ?? resolve)![2]!);
    if (revision !== "main" && revision !== repo.commit) {
      res.writeHead(404, { "x-error-code": "RevisionNotFound" }).end();
      return;
    }
    if (api) {
      if (this.failApi > 0) {
        this.failApi--;
        res.writeHead(503).end();
        return;
      }
      const body = JSON.stringify({ id, sha: repo.commit, siblings: [...repo.files.keys()].map((rfilename) => ({ rfilename })) });
      res.writeHead(200, { "content-type": "application/json" }).end(body);
      return;
    }
    const name = decodeURIComponent(resolve![3]!);
    const file = repo.files.get(name);
    if (!file) {
      res.writeHead(404, { "x-error-code": "EntryNotFound", "x-repo-commit": repo.commit }).end();
      return;
    }
    if (file.lfs) {
      res.writeHead(302, {
        location: `${this.cdnUrl}/blobs/${file.etag}?signature=abc`,
        "x-repo-commit": repo.commit,
        "x-linked-etag": `"${file.etag}"`,
        "x-linked-size": String(file.bytes.length),
        etag: `"${gitSha1(Buffer.from("lfs pointer"))}"`,
        "content-length": "0",
      }).end();
      return;
    }
    serveBytes(req, res, file.bytes, { "x-repo-commit": repo.commit, etag: `W/"${file.etag}"` });
  }

  private serveCdn(req: IncomingMessage, res: ServerResponse): void {
    this.record("cdn", req);
    const sha = /^\/blobs\/([0-9a-f]{64})$/.exec(req.url!.split("?")[0]!)?.[1];
    const file = [...this.repos.values()].flatMap((r) => [...r.files.values()]).find((f) => f.etag === sha);
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    const cut = this.cutOnce.get(sha!);
    if (cut !== undefined && req.method === "GET") {
      this.cutOnce.delete(sha!);
      res.writeHead(200, { "content-length": String(file.bytes.length) });
      res.write(file.bytes.subarray(0, cut), () => setTimeout(() => res.socket?.destroy(), 50));
      return;
    }
    const stall = this.stallOnce.get(sha!);
    if (stall !== undefined && req.method === "GET") {
      this.stallOnce.delete(sha!);
      res.writeHead(200, { "content-length": String(file.bytes.length) });
      res.write(file.bytes.subarray(0, stall));
      return;
    }
    if (this.ignoreRange) delete req.headers.range;
    serveBytes(req, res, file.bytes, { etag: `"${sha}"` });
  }
}

export function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

/** 200, or 206/416 for `Range: bytes=N-` (the only form the client sends). */
export function serveBytes(req: IncomingMessage, res: ServerResponse, bytes: Buffer, headers: Record<string, string>): void {
  const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
  let body = bytes;
  if (range) {
    const start = Number(range[1]);
    if (start >= bytes.length) {
      res.writeHead(416, { "content-range": `bytes */${bytes.length}` }).end();
      return;
    }
    body = bytes.subarray(start);
    res.writeHead(206, { ...headers, "accept-ranges": "bytes", "content-length": String(body.length), "content-range": `bytes ${start}-${bytes.length - 1}/${bytes.length}` });
  } else {
    res.writeHead(200, { ...headers, "accept-ranges": "bytes", "content-length": String(bytes.length) });
  }
  res.end(req.method === "HEAD" ? undefined : body);
}

