import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { ArgumentError } from "../../errors.js";

/** Environment variables, passed explicitly so tests (and embedders) need not touch process.env. */
export type Env = Readonly<Record<string, string | undefined>>;

/** Where and how to reach the Hub, resolved once from options and the environment. */
export interface HubSettings {
  /** The hub cache root, the folder that holds `models--org--name`. */
  cacheDir: string;
  /** Base URL without a trailing slash. */
  endpoint: string;
  offline: boolean;
  token: string | undefined;
  /** Connect and wait for response headers, per request: `HF_HUB_ETAG_TIMEOUT` seconds (default 10, as huggingface_hub). */
  requestTimeoutMs: number;
  /** Wait for each chunk of a download: `HF_HUB_DOWNLOAD_TIMEOUT` seconds (default 10, as huggingface_hub). */
  downloadTimeoutMs: number;
}

export const DEFAULT_ENDPOINT = "https://huggingface.co";

/** Same truthy spellings as huggingface_hub's `_is_true`, so one HF_HUB_OFFLINE works for both. */
function isTrue(value: string | undefined): boolean {
  return value !== undefined && ["1", "ON", "YES", "TRUE"].includes(value.trim().toUpperCase());
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}

/** `$HF_HOME`, else `$XDG_CACHE_HOME/huggingface`, else `~/.cache/huggingface` (huggingface_hub's order). */
export function hfHome(env: Env): string {
  return (
    nonEmpty(env.HF_HOME) ??
    join(nonEmpty(env.XDG_CACHE_HOME) ?? join(env.HOME ?? homedir(), ".cache"), "huggingface")
  );
}

/** `$HF_HUB_CACHE`, else `$HF_HOME/hub`. */
export function hubCacheDir(env: Env): string {
  return nonEmpty(env.HF_HUB_CACHE) ?? join(hfHome(env), "hub");
}

/**
 * `$HF_TOKEN`, else the file `huggingface-cli login` writes (`$HF_TOKEN_PATH` or `$HF_HOME/token`).
 * A missing or unreadable token file just means anonymous access.
 */
export function hubToken(env: Env): string | undefined {
  const direct = nonEmpty(env.HF_TOKEN)?.trim();
  if (direct) return direct;
  const path = nonEmpty(env.HF_TOKEN_PATH) ?? join(hfHome(env), "token");
  try {
    return nonEmpty(readFileSync(path, "utf8").trim());
  } catch {
    return undefined;
  }
}

export interface SettingsOverrides {
  cacheDir?: string;
  endpoint?: string;
  offline?: boolean;
  token?: string;
  env?: Env;
}

/** A timeout variable in seconds (huggingface_hub's unit), as milliseconds. */
function timeoutFromEnv(env: Env, name: string, defaultSeconds: number): number {
  const text = nonEmpty(env[name]);
  if (text === undefined) return defaultSeconds * 1000;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new ArgumentError(`${name} must be a positive number of seconds, got "${text}"`);
  return value * 1000;
}

/** Explicit options win over the environment, which wins over the defaults. */
export function hubSettings(options: SettingsOverrides = {}): HubSettings {
  const env = options.env ?? process.env;
  return {
    cacheDir: options.cacheDir ?? hubCacheDir(env),
    endpoint: (options.endpoint ?? nonEmpty(env.HF_ENDPOINT) ?? DEFAULT_ENDPOINT).replace(/\/+$/, ""),
    offline: options.offline ?? isTrue(env.HF_HUB_OFFLINE),
    token: options.token ?? hubToken(env),
    requestTimeoutMs: timeoutFromEnv(env, "HF_HUB_ETAG_TIMEOUT", 10),
    downloadTimeoutMs: timeoutFromEnv(env, "HF_HUB_DOWNLOAD_TIMEOUT", 10),
  };
}
