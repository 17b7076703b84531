import type { Backend } from "./backend.js";
import { jsBackend } from "./js/index.js";
import { createNativeBackend } from "./native/index.js";
import { ArgumentError } from "../errors.js";

export type { Backend, MatmulParams, AttentionParams } from "./backend.js";

let active: Backend | null = null;
let nativeBackend: Backend | null | undefined;
let nativeLoadError: string | null = null;

/** Loads the C++ addon once; null (with the reason kept) when it is not built or not loadable. */
function tryNative(): Backend | null {
  if (nativeBackend !== undefined) return nativeBackend;
  try {
    nativeBackend = createNativeBackend();
  } catch (err) {
    nativeLoadError = err instanceof Error ? err.message.split("\n")[0] : String(err);
    nativeBackend = null;
  }
  return nativeBackend;
}

/**
 * The backend in use: `VLM_BACKEND=js|native` when set, otherwise native when the addon loads
 * and js (with one warning) when it does not.
 */
export function getBackend(): Backend {
  if (active) return active;
  const wanted = process.env.VLM_BACKEND;
  if (wanted && wanted !== "js" && wanted !== "native") {
    throw new ArgumentError(`VLM_BACKEND must be "js" or "native", got "${wanted}"`);
  }
  if (wanted === "js") return (active = jsBackend);
  const native = tryNative();
  if (native) {
    active = native;
  } else {
    if (wanted === "native") {
      throw new ArgumentError(`VLM_BACKEND=native but the native addon cannot be loaded: ${nativeLoadError}`);
    }
    // One plain line: process.emitWarning would add Node's "(node:PID) Warning" and a hint.
    process.stderr.write(
      `vlmkit: native backend unavailable (${nativeLoadError}); using the slower js backend. ` +
        `Rebuild it with "npm rebuild vlmkit", or set VLM_BACKEND=js to silence this.\n`,
    );
    active = jsBackend;
  }
  const threads = process.env.VLM_THREADS;
  if (threads) {
    const n = Number(threads);
    if (!Number.isInteger(n) || n < 1) throw new ArgumentError(`VLM_THREADS must be a positive integer, got "${threads}"`);
    active.setThreads(n);
  }
  return active;
}

/** Switch backends at run time (tests run every op on each). */
export function setBackend(name: "js" | "native"): Backend {
  if (name === "js") return (active = jsBackend);
  const native = tryNative();
  if (!native) throw new ArgumentError(`native backend unavailable: ${nativeLoadError}`);
  return (active = native);
}

/** Names of the backends that can run here (js always; native when the addon loads). */
export function availableBackends(): Array<"js" | "native"> {
  return tryNative() ? ["js", "native"] : ["js"];
}
