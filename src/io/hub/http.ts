import { setTimeout as sleep } from "node:timers/promises";
import { HubAuthError, HubError, HubNotFoundError, VlmError } from "../../errors.js";

/** How requests are made; built once per resolveModelPath call. */
export interface HttpConfig {
  endpoint: string;
  token: string | undefined;
  /** Milliseconds from sending a request to its response headers: connecting included. */
  timeoutMs: number;
  /** Milliseconds to wait for each chunk of a body (a stalled download). */
  bodyTimeoutMs: number;
  /** Extra attempts after a transient failure (network error, timeout, 5xx, 429). */
  retries: number;
  /** First backoff delay; doubles per attempt, capped at 10 s. */
  retryDelayMs: number;
  signal?: AbortSignal;
}

/** What a request was for, so errors name the repo, revision and file instead of just a URL. */
export interface RequestContext {
  repo: string;
  revision: string;
  file?: string;
}

/**
 * A failure worth retrying. `network` separates "could not talk to the server" (where falling
 * back to the cache makes sense) from a server that answered 5xx.
 */
export class TransientError extends HubError {
  constructor(
    message: string,
    readonly network: boolean,
    options: { url: string; status?: number; cause?: unknown },
    /** False when trying again cannot help soon (no route, no such host, no answer): fail fast, fall back to the cache. */
    readonly retryable = true,
  ) {
    super(message, options);
  }
}

// Failures to reach a host at all: retrying within seconds does not bring a network back, and
// without one the whole backoff (about 16 s) was only a delay before the cache fallback.
const UNREACHABLE = new Set(["ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED", "ENETUNREACH", "EHOSTUNREACH", "UND_ERR_CONNECT_TIMEOUT"]);

function networkCode(error: unknown): string | undefined {
  return (error as { cause?: { code?: string } }).cause?.code;
}

function hostOf(url: string): string {
  return new URL(url).host;
}

const seconds = (ms: number) => `${Number((ms / 1000).toPrecision(3))} s`;

const MAX_REDIRECTS = 10;

function sameOrigin(a: string, b: string): boolean {
  return new URL(a).origin === new URL(b).origin;
}

function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

export interface RequestResult {
  response: Response;
  /** The URL that produced `response`, after the redirects that were followed. */
  url: string;
  /** Aborts this request's body; download.ts uses it for its idle timeout. */
  controller: AbortController;
}

/**
 * One HTTP exchange with manual redirects. The token goes only to the endpoint's origin: the Hub
 * redirects LFS files to a CDN with a signed URL, and forwarding the Bearer token there would
 * leak it. With `crossOriginRedirects: false` a redirect to another origin is returned as is,
 * which is how the HEAD learns the CDN location without touching the CDN (huggingface_hub's
 * `follow_relative_redirects`).
 */
export async function request(
  url: string,
  config: HttpConfig,
  init: { method: "GET" | "HEAD"; headers?: Record<string, string>; crossOriginRedirects: boolean },
): Promise<RequestResult> {
  let current = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const headers: Record<string, string> = { "user-agent": "vlmkit", ...init.headers };
    if (config.token && sameOrigin(current, config.endpoint)) headers.authorization = `Bearer ${config.token}`;
    const controller = new AbortController();
    const signal = config.signal ? AbortSignal.any([controller.signal, config.signal]) : controller.signal;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error(`no response in ${config.timeoutMs} ms`));
    }, config.timeoutMs);
    let response: Response;
    try {
      response = await fetch(current, { method: init.method, headers, redirect: "manual", signal });
    } catch (error) {
      if (config.signal?.aborted) throw error;
      if (timedOut) {
        throw new TransientError(
          `${hostOf(current)} did not answer within ${seconds(config.timeoutMs)} (connecting and waiting for the response; ` +
            `HF_HUB_ETAG_TIMEOUT sets it): ${current}`,
          true,
          { url: current, cause: error },
          false,
        );
      }
      const code = networkCode(error);
      throw new TransientError(
        `cannot connect to ${hostOf(current)}: ${describeNetworkError(error)} (${current})`,
        true,
        { url: current, cause: error },
        !(code && UNREACHABLE.has(code)),
      );
    } finally {
      clearTimeout(timer);
    }
    const location = response.headers.get("location");
    if (response.status >= 300 && response.status < 400 && location) {
      const next = new URL(location, current).toString();
      if (!init.crossOriginRedirects && !sameOrigin(next, current)) return { response, url: current, controller };
      await response.body?.cancel();
      current = next;
      continue;
    }
    return { response, url: current, controller };
  }
  throw new HubError(`too many redirects (more than ${MAX_REDIRECTS}) starting from ${url}`, { url });
}

/**
 * Streams the body to `onChunk`, aborting when no byte arrives for `bodyTimeoutMs` (a stalled
 * connection otherwise hangs forever). A connection that breaks mid-body is a TransientError so
 * the caller's retry resumes; errors from `onChunk` itself (disk full, bad hash) pass through.
 */
export async function readBody(
  result: RequestResult,
  config: HttpConfig,
  onChunk: (chunk: Uint8Array) => void | Promise<void>,
): Promise<void> {
  const body = result.response.body;
  if (!body) return;
  const reader = body.getReader();
  let finished = false;
  try {
    for (;;) {
      const timer = setTimeout(
        () => result.controller.abort(new Error(`no data for ${config.bodyTimeoutMs} ms`)),
        config.bodyTimeoutMs,
      );
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (error) {
        if (config.signal?.aborted) throw error;
        throw new TransientError(`connection to ${hostOf(result.url)} lost while reading ${result.url}: ${describeNetworkError(error)}`, true, {
          url: result.url,
          cause: error,
        });
      } finally {
        clearTimeout(timer);
      }
      if (chunk.done) {
        finished = true;
        return;
      }
      await onChunk(chunk.value);
    }
  } finally {
    // Leaving early (a failed write, a bad hash) must still close the connection.
    if (!finished) await reader.cancel().catch(() => undefined);
  }
}

/** A small JSON body (the model info API), under the same idle timeout as downloads. */
export async function readJsonBody(result: RequestResult, config: HttpConfig): Promise<unknown> {
  const chunks: Uint8Array[] = [];
  await readBody(result, config, (chunk) => {
    chunks.push(chunk);
  });
  const text = Buffer.concat(chunks).toString("utf8");
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HubError(`invalid JSON from ${result.url}: ${(error as Error).message}`, { url: result.url, cause: error });
  }
}

/**
 * The error for a non-2xx answer, worded from the Hub's `X-Error-Code` when present. 401 is
 * what the Hub answers for a private repo *and* for one that does not exist when anonymous, so
 * the message cannot tell them apart and says both.
 */
export function statusError(response: Response, url: string, context: RequestContext): VlmError {
  const status = response.status;
  const code = response.headers.get("x-error-code");
  const what = context.file ? `${context.repo}: "${context.file}" at revision "${context.revision}"` : `${context.repo} at revision "${context.revision}"`;
  const where = `(HTTP ${status} from ${url})`;
  if (status === 401 || status === 403) {
    const hint =
      code === "GatedRepo"
        ? `gated model: accept its conditions on the Hub page of ${context.repo} and set HF_TOKEN to a token of that account`
        : "the repo is private, gated or does not exist; set HF_TOKEN (or log in with `huggingface-cli login`) to a token with access";
    return new HubAuthError(`${what}: ${hint} ${where}`, { url, status });
  }
  if (status === 404) {
    if (code === "RevisionNotFound") return new HubNotFoundError(`${context.repo}: revision "${context.revision}" not found ${where}`, url);
    if (code === "RepoNotFound") return new HubNotFoundError(`${context.repo}: repository not found ${where}`, url);
    return new HubNotFoundError(`${what}: not found ${where}`, url);
  }
  if (status >= 500 || status === 429 || status === 408) {
    return new TransientError(`${what}: server error ${where}`, false, { url, status });
  }
  return new HubError(`${what}: unexpected answer ${where}`, { url, status });
}

/**
 * Runs `attempt` until it succeeds, retrying transient failures with exponential backoff.
 * Each attempt re-reads whatever state it needs (the partial file), which is what makes a
 * retried download resume instead of restart.
 */
export async function withRetries<T>(config: HttpConfig, attempt: () => Promise<T>): Promise<T> {
  for (let tries = 0; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof TransientError) || !error.retryable || tries >= config.retries || config.signal?.aborted) {
        if (error instanceof TransientError && tries > 0) error.message += ` (gave up after ${tries + 1} attempts)`;
        throw error;
      }
      await sleep(Math.min(config.retryDelayMs * 2 ** tries, 10_000), undefined, { signal: config.signal });
    }
  }
}
