/**
 * One backend's kernels over another's: how `getBackend()` turns the native addon, which may
 * lack kernels (built from older sources), into the complete `Backend` the tensor layer calls
 * with no fallbacks of its own.
 */
import type { AttentionParams, Backend, PartialBackend } from "./backend.js";

/**
 * `own`'s kernels wherever it has them, `reference`'s for the rest. Attention goes to `own`
 * when it reads the call's layout and, for a call that saves the softmax weights for training,
 * when it also has `attentionBackward`; otherwise both directions run on `reference`, so a
 * forward and its backward always come from the same backend.
 *
 * @example
 * const backend = completeBackend(createNativeBackend(), jsBackend);
 * backend.attentionBackward(q, k, v, probs, gradOut, gradQ, gradK, gradV, p); // js if the addon lacks it
 */
export function completeBackend(own: PartialBackend, reference: Backend): Backend {
  const readsLayout = (p: AttentionParams) => {
    const layout = p.layout ?? "bhld";
    return layout === "bhld" || !!own.attentionLayouts?.includes(layout);
  };
  const ownAttentionBackward = own.attentionBackward;
  return {
    name: own.name,
    threads: own.threads,
    setThreads: own.setThreads,
    matmul: own.matmul,
    softmax: own.softmax,
    layerNorm: own.layerNorm,
    rmsNorm: own.rmsNorm,
    gelu: own.gelu,
    geluTanh: own.geluTanh,
    quickGelu: own.quickGelu,
    silu: own.silu,
    attention(q, k, v, out, p) {
      // Saved weights (p.probs) are for a backward on the same backend.
      const onOwn = readsLayout(p) && (!p.probs || !!ownAttentionBackward);
      (onOwn ? own : reference).attention(q, k, v, out, p);
    },
    attentionBackward(q, k, v, probs, gradOut, gradQ, gradK, gradV, p) {
      const kernel = ownAttentionBackward && readsLayout(p) ? ownAttentionBackward : reference.attentionBackward;
      kernel(q, k, v, probs, gradOut, gradQ, gradK, gradV, p);
    },
    add: own.add ?? reference.add,
    matmulHalfB: own.matmulHalfB ?? reference.matmulHalfB,
    activationBackward: own.activationBackward ?? reference.activationBackward,
    layerNormBackward: own.layerNormBackward ?? reference.layerNormBackward,
    rmsNormBackward: own.rmsNormBackward ?? reference.rmsNormBackward,
    softmaxBackward: own.softmaxBackward ?? reference.softmaxBackward,
    sumRows: own.sumRows ?? reference.sumRows,
    adamwStep: own.adamwStep ?? reference.adamwStep,
  };
}
