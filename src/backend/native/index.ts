import type { Backend } from "../backend.js";

/** Placeholder until the addon lands: reports that it is not built. */
export function createNativeBackend(): Backend {
  throw new Error("native addon not built");
}
