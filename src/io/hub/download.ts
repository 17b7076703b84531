import { createHash, type Hash } from "node:crypto";
import { constants, createReadStream } from "node:fs";
import { mkdir, open, rename, rm, stat, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";
import { HubError, IntegrityError } from "../../errors.js";
import { readBody, request, statusError, TransientError, withRetries, type HttpConfig, type RequestContext } from "./http.js";
import type { RepoCache } from "./cache.js";
import type { ProgressCallback } from "./progress.js";

export interface BlobJob {
  cache: RepoCache;
  /** Repo path of the file, for messages and progress. */
  file: string;
  etag: string;
  size: number;
  /** Where the bytes are (the CDN for LFS files). */
  url: string;
  config: HttpConfig;
  context: RequestContext;
  onProgress?: ProgressCallback;
}

/** LFS etags are the sha256 of the content, so those downloads can be checked end to end. */
const SHA256 = /^[0-9a-f]{64}$/;

// Callers in one process asking for the same blob at once (models sharing a tokenizer, a
// Promise.all) wait for a single download instead of writing the same .incomplete twice.
const inFlight = new Map<string, Promise<void>>();

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}

/**
 * Makes `blobs/<etag>` exist with the right content. Bytes go to `blobs/<etag>.incomplete`
 * (huggingface_hub's name, so either tool resumes the other's partial download) and the file is
 * renamed into place only once its size, and for LFS files its sha256, have been checked: a
 * blob that exists is always complete.
 *
 * Writes are positional, never appends: another process writing the same partial file puts the
 * same bytes at the same offsets, so concurrent writers cannot interleave garbage.
 */
export function downloadBlob(job: BlobJob): Promise<void> {
  const blob = job.cache.blobPath(job.etag);
  let running = inFlight.get(blob);
  if (!running) {
    running = fetchBlob(job, blob).finally(() => inFlight.delete(blob));
    inFlight.set(blob, running);
  }
  return running;
}

async function fetchBlob(job: BlobJob, blob: string): Promise<void> {
  if ((await sizeOf(blob)) === job.size) return;
  await mkdir(dirname(blob), { recursive: true });
  const partial = `${blob}.incomplete`;
  let started = false;
  const emit = (phase: "start" | "data" | "done", downloaded: number) => {
    if (phase === "start") {
      if (started) return;
      started = true;
    }
    job.onProgress?.({ repo: job.context.repo, file: job.file, phase, downloaded, total: job.size });
  };

  try {
    await withRetries(job.config, () => attempt(job, partial, emit));
  } catch (error) {
    // Bytes that fail verification are wrong, not merely short: resuming them cannot help.
    if (error instanceof IntegrityError) await rm(partial, { force: true });
    throw error;
  }
  try {
    await rename(partial, blob);
  } catch (error) {
    // Another writer of the same partial file renamed it first; its bytes were the same.
    if ((error as NodeJS.ErrnoException).code !== "ENOENT" || (await sizeOf(blob)) !== job.size) throw error;
  }
  emit("done", job.size);
}

async function attempt(job: BlobJob, partial: string, emit: (phase: "start" | "data", downloaded: number) => void): Promise<void> {
  const handle = await open(partial, constants.O_RDWR | constants.O_CREAT);
  try {
    let offset = (await handle.stat()).size;
    if (offset > job.size) {
      await handle.truncate(0);
      offset = 0;
    }
    const hash = SHA256.test(job.etag) ? createHash("sha256") : undefined;
    if (offset < job.size) {
      await fetchRest(job, handle, partial, offset, hash, emit);
    } else {
      // A previous run got every byte but stopped before the rename.
      emit("start", offset);
      if (hash) await hashPrefix(partial, offset, hash);
    }
    const size = (await handle.stat()).size;
    if (size !== job.size) throw new IntegrityError(job.file, `downloaded ${size} bytes, expected ${job.size} (from ${job.url})`);
    if (hash) {
      const digest = hash.digest("hex");
      if (digest !== job.etag) {
        throw new IntegrityError(
          job.file,
          `sha256 ${digest} does not match the Hub's ${job.etag} (from ${job.url}); the partial download was deleted, run again`,
        );
      }
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** GETs the bytes from `offset` on (a Range request when resuming) and writes them in place. */
async function fetchRest(
  job: BlobJob,
  handle: FileHandle,
  partial: string,
  offset: number,
  hash: Hash | undefined,
  emit: (phase: "start" | "data", downloaded: number) => void,
): Promise<void> {
  const headers: Record<string, string> = { "accept-encoding": "identity" };
  if (offset > 0) headers.range = `bytes=${offset}-`;
  const result = await request(job.url, job.config, { method: "GET", headers, crossOriginRedirects: true });
  const { response } = result;
  if (response.status === 416) {
    // The server says our partial file is at least as long as its file: it is not a prefix of
    // this blob, so start over.
    await response.body?.cancel();
    await handle.truncate(0);
    throw new TransientError(`${job.file}: range ${offset}- not satisfiable at ${result.url}, restarting`, false, { url: result.url, status: 416 });
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw statusError(response, result.url, job.context);
  }

  let position = 0;
  if (response.status === 206) {
    const range = /^bytes (\d+)-/.exec(response.headers.get("content-range") ?? "");
    if (!range || Number(range[1]) !== offset) {
      await response.body?.cancel();
      throw new HubError(`${job.file}: asked for bytes ${offset}- but got Content-Range "${response.headers.get("content-range")}" from ${result.url}`, {
        url: result.url,
      });
    }
    position = offset;
  }
  // A 200 to a Range request means the server ignored the range: rewrite from byte 0.
  if (hash && position > 0) await hashPrefix(partial, position, hash);
  emit("start", position);

  await readBody(result, job.config, async (chunk) => {
    if (position + chunk.length > job.size) {
      throw new IntegrityError(job.file, `server sent more than the expected ${job.size} bytes (from ${result.url})`);
    }
    let written = 0;
    while (written < chunk.length) {
      const { bytesWritten } = await handle.write(chunk, written, chunk.length - written, position + written);
      written += bytesWritten;
    }
    hash?.update(chunk);
    position += chunk.length;
    emit("data", position);
  });
  if (position < job.size) {
    throw new TransientError(`${job.file}: connection closed after ${position} of ${job.size} bytes from ${result.url}`, true, {
      url: result.url,
    });
  }
}

async function hashPrefix(path: string, length: number, hash: Hash): Promise<void> {
  if (length === 0) return;
  for await (const chunk of createReadStream(path, { start: 0, end: length - 1 })) hash.update(chunk as Buffer);
}
