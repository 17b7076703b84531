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
  // A pickle can share and even nest containers in cycles; each is walked once. An explicit
  // stack (children pushed in reverse, so names come out in the recursive walk's order) keeps
  // a deeply nested pickle from overflowing the call stack.
  const seen = new Set<object>();
  const join = (prefix: string, key: string | number) => (prefix === "" ? String(key) : `${prefix}.${key}`);
  const todo: Array<[PickleValue, string]> = [[weights, ""]];
  while (todo.length > 0) {
    const [value, name] = todo.pop()!;
    if (value instanceof Tensor) {
      out.set(name, value);
      continue;
    }
    if (typeof value !== "object" || value === null || seen.has(value)) continue;
    seen.add(value);
    const children: Array<[PickleValue, string]> = [];
    if (value instanceof Map) {
      for (const [key, item] of value) if (typeof key === "string" || typeof key === "number") children.push([item, join(name, key)]);
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => children.push([item, join(name, i)]));
    } else if (value instanceof TorchScriptObject && value.state instanceof Map) {
      const slots = slotsOf(value.className);
      for (const [key, item] of value.state) {
        if (typeof key !== "string") continue;
        const kept = !slots || item instanceof TorchScriptObject || slots.parameters.includes(key) || slots.buffers.includes(key);
        if (kept) children.push([item, join(name, key)]);
      }
    }
    for (let i = children.length - 1; i >= 0; i--) todo.push(children[i]);
  }
  return out;
}
