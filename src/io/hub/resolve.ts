import { existsSync } from "node:fs";
import { isAbsolute } from "node:path";
import { HubNotFoundError, NotCachedError, NotFoundError } from "../../errors.js";
import { readJson } from "../json.js";
import { RepoCache } from "./cache.js";
import { downloadBlob } from "./download.js";
import { hubSettings, type SettingsOverrides } from "./env.js";
import { TransientError, withRetries, type HttpConfig, type RequestContext } from "./http.js";
import { fileMetadata } from "./metadata.js";
import { fetchModelInfo } from "./model-info.js";
import type { ProgressCallback } from "./progress.js";
import { checkRepoFilename, checkRepoId, checkRevision, modelInfoUrl, resolveUrl } from "./repo-id.js";
import { selectFiles, shardsOf, type Selection, type SelectOptions } from "./select-files.js";

export interface ResolveOptions extends SelectOptions, SettingsOverrides {
  /** Branch, tag or commit hash (default `main`). */
  revision?: string;
  onProgress?: ProgressCallback;
  /**
   * Per request: wait for a connection and the response headers, and between body chunks
   * (default: HF_HUB_ETAG_TIMEOUT and HF_HUB_DOWNLOAD_TIMEOUT, 10 s each).
   */
  timeoutMs?: number;
  /** Extra attempts after a network error, timeout or 5xx (default 5). */
  retries?: number;
  /** First backoff delay, doubled per retry (default 500 ms). */
  retryDelayMs?: number;
  signal?: AbortSignal;
}

/** Strings that can only be meant as paths; anything else that is not on disk must be a Hub id. */
function looksLikePath(value: string): boolean {
  return isAbsolute(value) || /^\.{1,2}([/\\]|$)/.test(value) || value.startsWith("~") || value.includes("\\");
}

/**
 * A local folder holding the model's files: `idOrPath` itself when it exists on disk, otherwise
 * the cached snapshot of the Hub repo `org/name`, downloading what is missing. By default it
 * fetches config.json, the tokenizer/processor files and one copy of the weights (see
 * select-files.ts); `files`/`allowPatterns` choose other files.
 *
 * @example
 * const dir = await resolveModelPath("openai/clip-vit-base-patch32", { onProgress: ttyProgress() });
 * // dir = ~/.cache/huggingface/hub/models--openai--clip-vit-base-patch32/snapshots/<commit>
 */
export async function resolveModelPath(idOrPath: string, options: ResolveOptions = {}): Promise<string> {
  if (existsSync(idOrPath)) return idOrPath;
  if (looksLikePath(idOrPath)) throw new NotFoundError(`${idOrPath}: no such file or folder`);
  checkRepoId(idOrPath);
  const revision = options.revision ?? "main";
  checkRevision(revision);

  const settings = hubSettings(options);
  const cache = new RepoCache(settings.cacheDir, idOrPath);
  const context: RequestContext = { repo: idOrPath, revision };
  if (settings.offline) {
    return fromCache(cache, context, options, "HF_HUB_OFFLINE is set: download it once online, or unset HF_HUB_OFFLINE");
  }
  const config: HttpConfig = {
    endpoint: settings.endpoint,
    token: settings.token,
    timeoutMs: options.timeoutMs ?? settings.requestTimeoutMs,
    bodyTimeoutMs: options.timeoutMs ?? settings.downloadTimeoutMs,
    retries: options.retries ?? 5,
    retryDelayMs: options.retryDelayMs ?? 500,
    signal: options.signal,
  };

  let info;
  try {
    info = await withRetries(config, () => fetchModelInfo(config, context));
  } catch (error) {
    // Like huggingface_hub: with no connection at all, a cached copy is still a valid answer.
    if (!(error instanceof TransientError && error.network)) throw error;
    try {
      return await fromCache(cache, context, options, `the Hub is unreachable (${error.message})`);
    } catch (cacheError) {
      throw cacheError instanceof NotCachedError ? error : cacheError;
    }
  }
  await cache.writeRef(revision, info.sha);
  const atCommit: RequestContext = { repo: idOrPath, revision: info.sha };
  const available = new Set(info.files);

  const selection = selectFiles(info.files, options);
  const listing = info.files.length > 20 ? `${info.files.slice(0, 20).join(", ")}, ...` : info.files.join(", ");
  const notFound = (what: string) =>
    new HubNotFoundError(
      `${idOrPath}: no ${what} at revision "${revision}" (${info.sha}); the repo has: ${listing || "no files"}`,
      modelInfoUrl(config.endpoint, idOrPath, revision),
    );
  if (selection.missing.length > 0) throw notFound(selection.missing.join(", "));

  const fetchFile = async (file: string) => {
    checkRepoFilename(idOrPath, file);
    if (cache.hasFile(info.sha, file)) return;
    const url = resolveUrl(config.endpoint, idOrPath, info.sha, file);
    const meta = await withRetries(config, () => fileMetadata(url, config, { ...atCommit, file }));
    await downloadBlob({
      cache,
      file,
      etag: meta.etag,
      size: meta.size,
      url: meta.location,
      config,
      context: { ...atCommit, file },
      onProgress: options.onProgress,
    });
    await cache.linkSnapshotFile(info.sha, file, meta.etag);
  };

  // Sequential on purpose: one weights file dominates the time, and one bar at a time reads well.
  for (const file of selection.files) await fetchFile(file);
  for (const shard of await shardFiles(cache, info.sha, selection)) {
    if (!available.has(shard)) throw notFound(`shard "${shard}" named by ${selection.shardIndex}`);
    await fetchFile(shard);
  }
  return cache.snapshotDir(info.sha);
}

/** The shards a selected `*.index.json` names, read from the snapshot. */
async function shardFiles(cache: RepoCache, commit: string, selection: Selection): Promise<string[]> {
  if (!selection.shardIndex) return [];
  return shardsOf(readJson(cache.pointerPath(commit, selection.shardIndex)), selection.shardIndex);
}

/**
 * The snapshot for `revision` when the cache already holds every selected file, without any
 * request; else a NotCachedError saying what is missing and `why` the network was not used.
 */
async function fromCache(cache: RepoCache, context: RequestContext, options: SelectOptions, why: string): Promise<string> {
  const label = `${context.repo} (revision "${context.revision}")`;
  const commit = cache.cachedCommit(context.revision);
  if (!commit || !existsSync(cache.snapshotDir(commit))) {
    throw new NotCachedError(`${label} is not in the Hugging Face cache at ${cache.dir}; ${why}`);
  }
  const present = await cache.listSnapshot(commit);
  const selection = selectFiles(present, options);
  const missing = [...selection.missing];
  if (missing.length === 0) {
    const have = new Set(present);
    missing.push(...(await shardFiles(cache, commit, selection)).filter((s) => !have.has(s)));
  }
  if (missing.length > 0) {
    throw new NotCachedError(`${label} is only partly cached in ${cache.snapshotDir(commit)}, missing ${missing.join(", ")}; ${why}`);
  }
  return cache.snapshotDir(commit);
}
