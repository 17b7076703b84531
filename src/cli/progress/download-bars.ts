/**
 * The download bars of the CLI: what `onProgress` callbacks of the Hub downloads (plain data,
 * see io/hub/progress.ts) look like on a terminal.
 */
import cliProgress from "cli-progress";
import type { DownloadProgress, ProgressCallback } from "../../io/hub/index.js";
import { formatBytes, formatDuration } from "./format.js";

export interface DownloadBarsOptions {
  /** Where to draw; stderr so piped stdout stays clean. */
  stream?: NodeJS.WriteStream | NodeJS.WritableStream;
  /** Draw even when the stream is not a terminal (logs, tests); default: only on a TTY. */
  force?: boolean;
}

interface FileBar {
  bar: cliProgress.SingleBar;
  startedAt: number;
  /** Bytes already on disk when this run started: speed and ETA count only new bytes. */
  resumedFrom: number;
}

/**
 * A `ProgressCallback` drawing one cli-progress bar per file (name, bytes, speed, ETA). It
 * returns a no-op on a non-TTY stream unless `force` is set, so passing it unconditionally
 * keeps logs and CI output free of control characters.
 *
 * @example
 * const dir = await resolveModelPath("openai/clip-vit-base-patch32", { onProgress: downloadBars() });
 */
export function downloadBars(options: DownloadBarsOptions = {}): ProgressCallback {
  const stream = options.stream ?? process.stderr;
  if (!options.force && !(stream as NodeJS.WriteStream).isTTY) return () => {};

  let multibar: cliProgress.MultiBar | undefined;
  const bars = new Map<string, FileBar>();
  const key = (e: DownloadProgress) => `${e.repo}/${e.file}`;

  const payload = (e: DownloadProgress, state: Omit<FileBar, "bar">) => {
    const seconds = (Date.now() - state.startedAt) / 1000;
    const speed = seconds > 0 ? (e.downloaded - state.resumedFrom) / seconds : 0;
    return {
      file: e.file,
      bytes: `${formatBytes(e.downloaded)}/${formatBytes(e.total)}`,
      speed: `${formatBytes(speed)}/s`,
      eta: formatDuration(speed > 0 ? (e.total - e.downloaded) / speed : Infinity),
    };
  };

  return (event) => {
    if (event.phase === "start") {
      // One MultiBar per burst of downloads: it is stopped when its last bar ends, so no timer
      // outlives the downloads and keeps the process alive.
      multibar ??= new cliProgress.MultiBar({
        stream: stream as NodeJS.WritableStream,
        format: "{file} |{bar}| {percentage}% | {bytes} | {speed} | ETA {eta}",
        hideCursor: true,
        noTTYOutput: options.force === true,
        notTTYSchedule: 1000,
      });
      const timing = { startedAt: Date.now(), resumedFrom: event.downloaded };
      const bar = multibar.create(Math.max(event.total, 1), event.downloaded, payload(event, timing));
      bars.set(key(event), { bar, ...timing });
      return;
    }
    const state = bars.get(key(event));
    if (!state) return;
    state.bar.update(event.downloaded, payload(event, state));
    if (event.phase === "done") {
      bars.delete(key(event));
      if (bars.size === 0) {
        multibar?.stop();
        multibar = undefined;
      }
    }
  };
}
