/**
 * Which backend runs: `getBackend()` hands the tensor layer a complete kernel set (the native
 * kernels over the js ones, or js alone), chosen once from VLM_BACKEND and whether the addon
 * loads.
 */
import type { Backend } from "./backend.js";
import { completeBackend } from "./complete.js";
import { jsBackend } from "./js/index.js";
import { createNativeBackend } from "./native/index.js";
import { ArgumentError } from "../errors.js";

export type BackendName = Backend["name"];

let active: Backend | null = null;
let nativeBackend: Backend | null | undefined;
let nativeLoadError: string | null = null;

/** Loads the C++ addon once, completed from js; null (with the reason kept) when it is not built or not loadable. */
function tryNative(): Backend | null {
  if (nativeBackend !== undefined) return nativeBackend;
  try {
    nativeBackend = completeBackend(createNativeBackend(), jsBackend);
  } catch (err) {
    nativeLoadError = err instanceof Error ? err.message.split("\n")[0] : String(err);
    nativeBackend = null;
  }
  return nativeBackend;
}

/**
 * The backend in use: `VLM_BACKEND=js|native` when set, otherwise native when the addon loads
 * and js (with one warning) when it does not.
 *
 * @example
 * getBackend().softmax(Float32Array.of(1, 2, 3), out, 1, 3);
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

/**
 * The backend called `name` without making it the active one, for benches and tests that run
 * two side by side (js is the reference the native kernels are checked against).
 *
 * @example
 * const reference = backendNamed("js");
 */
export function backendNamed(name: BackendName): Backend {
  if (name === "js") return jsBackend;
  const native = tryNative();
  if (!native) throw new ArgumentError(`native backend unavailable: ${nativeLoadError}`);
  return native;
}

/** Switch backends at run time (tests run every op on each). */
export function setBackend(name: BackendName): Backend {
  return (active = backendNamed(name));
}

/** Names of the backends that can run here (js always; native when the addon loads). */
export function availableBackends(): BackendName[] {
  return tryNative() ? ["js", "native"] : ["js"];
}
