import { Tensor } from "../../tensor/tensor.js";
import { TorchScriptObject } from "./globals.js";
import type { PickleValue } from "./pickle.js";
import type { ModuleSlots } from "./torchscript.js";

/** Keys under which training scripts commonly nest the weights, in the order they are tried. */
const WRAPPER_KEYS = ["state_dict", "model"];

/**
 * The weights in an unpickled checkpoint, named as PyTorch's `state_dict()` names them.
 *
 * A root dict with a "state_dict" or "model" entry holding a dict or module is unwrapped first
 * (training checkpoints: `{"epoch": 3, "model": {...}, "optimizer": {...}}`). Then every tensor
 * reachable through dicts, lists and TorchScript modules is named by its dotted path; in a
 * module only its declared parameters and buffers count, as in `Module.state_dict()`. A tensor
 * reachable by two paths (tied weights) appears under both.
 */
export function stateDictOf(
  root: PickleValue,
  slotsOf: (className: string) => ModuleSlots | undefined = () => undefined,
): Map<string, Tensor> {
  let weights = root;
  if (root instanceof Map) {
    const key = WRAPPER_KEYS.find((k) => root.get(k) instanceof Map || root.get(k) instanceof TorchScriptObject);
    if (key !== undefined) weights = root.get(key);
  }
  const out = new Map<string, Tensor>();
  // A pickle can share and even nest containers in cycles; each is walked once.
  const seen = new Set<object>();
  const join = (prefix: string, key: string | number) => (prefix === "" ? String(key) : `${prefix}.${key}`);
  const walk = (value: PickleValue, name: string): void => {
    if (value instanceof Tensor) {
      out.set(name, value);
      return;
    }
    if (typeof value !== "object" || value === null || seen.has(value)) return;
    seen.add(value);
    if (value instanceof Map) {
      for (const [key, item] of value) if (typeof key === "string" || typeof key === "number") walk(item, join(name, key));
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => walk(item, join(name, i)));
    } else if (value instanceof TorchScriptObject && value.state instanceof Map) {
      const slots = slotsOf(value.className);
      for (const [key, item] of value.state) {
        if (typeof key !== "string") continue;
        const kept = !slots || item instanceof TorchScriptObject || slots.parameters.includes(key) || slots.buffers.includes(key);
        if (kept) walk(item, join(name, key));
      }
    }
  };
  walk(weights, "");
  return out;
}
