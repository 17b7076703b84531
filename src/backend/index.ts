/**
 * The one seam between the layers above and the kernels: nothing above src/backend imports a
 * backend implementation (js/ or native/), only this.
 */
export type {
  ActivationKind, AdamWStepScalars, AttentionLayout, AttentionParams, Backend, HalfKind, MatmulParams,
} from "./backend.js";
export { type BackendName, availableBackends, backendNamed, getBackend, setBackend } from "./select.js";
export { type NativeInfo, nativeInfo } from "./native/index.js";
