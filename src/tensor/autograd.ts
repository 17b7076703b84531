import { AutogradError } from "../errors.js";
import { dropRecycled, recycleFloat32 } from "./recycled.js";
import type { Tensor } from "./tensor.js";

/**
 * One recorded operation. `backward` maps the gradient of the output to the gradients of
 * `inputs` (null where an input needs none). Rules are written next to their ops.
 */
export interface GradNode {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  readonly backward: (gradOutput: Tensor) => ReadonlyArray<Tensor | null>;
  /**
   * Every tensor `backward` returns has storage of its own, freshly allocated and shared with
   * nothing (not with gradOutput, not with each other): the engine may then add further
   * gradient terms into it in place, and hand it to a leaf as its .grad without a copy.
   */
  readonly freshGrads?: boolean;
}

let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs `fn` without recording a tape: for inference and optimizer updates. */
export function noGrad<T>(fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

/** Runs `fn` with recording on (e.g. a training step inside a noGrad region). */
export function enableGrad<T>(fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = true;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

/** True when an op on `inputs` must be recorded. */
export function needsGrad(...inputs: Tensor[]): boolean {
  if (!gradEnabled) return false;
  for (const t of inputs) if (t.requiresGrad) return true;
  return false;
}

/** Reverse topological order of the graph reachable from `root`. */
function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  // Iterative DFS: deep graphs (long sequences of ops) would overflow the call stack.
  const stack: Array<[Tensor, number]> = [[root, 0]];
  seen.add(root);
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [t, i] = top;
    const inputs = t.gradFn?.inputs ?? [];
    if (i < inputs.length) {
      top[1]++;
      const next = inputs[i];
      if (next.requiresGrad && !seen.has(next)) {
        seen.add(next);
        stack.push([next, 0]);
      }
    } else {
      order.push(t);
      stack.pop();
    }
  }
  return order.reverse();
}

/**
 * Back-propagates from `root`. Leaf tensors with `requiresGrad` accumulate into `.grad`
 * (so several backward calls sum, as in PyTorch); intermediate gradients are dropped.
 * `addInPlace(target, b)`, when given, adds b into target's storage: used for sums the engine
 * made itself and nothing else can see (a residual stream's gradient gathers one term per
 * layer; without it every term allocates a fresh buffer).
 */
export function runBackward(
  root: Tensor, gradient: Tensor | undefined, seed: (t: Tensor) => Tensor, add: (a: Tensor, b: Tensor) => Tensor,
  addInPlace?: (target: Tensor, b: Tensor) => void,
): void {
  if (!root.requiresGrad) {
    throw new AutogradError("backward() on a tensor that does not require grad (no parameter upstream needs a gradient)");
  }
  if (!gradient && root.size !== 1) {
    throw new AutogradError(`backward() needs a gradient for a non-scalar tensor of shape [${root.shape.join(", ")}]`);
  }
  const grads = new Map<Tensor, Tensor>();
  grads.set(root, gradient ?? seed(root));
  // Gradient sums allocated here (by `add`) and not yet handed to any backward rule or leaf:
  // their storage is private, so further terms may be added in place.
  const owned = new Set<Tensor>();
  const previous = gradEnabled;
  gradEnabled = false;
  try {
    for (const t of topoOrder(root)) {
      const g = grads.get(t);
      if (!g) continue;
      grads.delete(t);
      const private_ = owned.delete(g);
      // A stored .grad gets its own storage: `g` may be shared with another leaf (add passes
      // the same tensor to both inputs), with a view of it, or with the caller's `gradient`, and
      // optimizers zero and clip .grad in place. A private sum already is its own storage.
      if (!t.gradFn) {
        t.grad = t.grad ? add(t.grad, g) : private_ ? g : g.clone();
        continue;
      }
      if (t.retainsGrad) t.grad = t.grad ? add(t.grad, g) : g.clone();
      const inputGrads = t.gradFn.backward(g);
      // A private gradient is dead once its rule has run, unless the rule passed it on (a view).
      if (private_ && g.data instanceof Float32Array && !inputGrads.some((ig) => ig?.data === g.data)) {
        recycleFloat32(g.data);
      }
      const fresh = !!addInPlace && !!t.gradFn.freshGrads;
      t.gradFn.inputs.forEach((input, i) => {
        const ig = inputGrads[i];
        if (!ig || !input.requiresGrad) return;
        const prev = grads.get(input);
        if (!prev) {
          grads.set(input, ig);
          if (fresh) owned.add(ig);
        } else if (addInPlace && owned.has(prev)) {
          addInPlace(prev, ig);
          if (fresh && ig.data instanceof Float32Array) recycleFloat32(ig.data);
        } else if (fresh) {
          // prev + ig, summed into ig's private storage (float addition commutes: same bits).
          addInPlace!(ig, prev);
          grads.set(input, ig);
          owned.add(ig);
        } else {
          const sum = add(prev, ig);
          grads.set(input, sum);
          if (addInPlace) owned.add(sum);
        }
      });
    }
  } finally {
    gradEnabled = previous;
    dropRecycled();
  }
}
