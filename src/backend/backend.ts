/**
 * The kernel interface. A backend computes on raw Float32Arrays; the tensor layer owns shapes,
 * autograd and everything else. Two implementations: `js` (portable TypeScript, always there,
 * every kernel: the reference) and `native` (C++ N-API addon with AVX2/FMA GEMM, a thread pool
 * and fused kernels), which may lack some kernels (`PartialBackend`); `getBackend()` fills
 * those from js (complete.ts), so the tensor layer always sees a whole `Backend`.
 *
 * All arrays are dense, row-major, float32. Kernels never allocate their outputs: the caller
 * passes `out`, sized exactly. Kernels are plain functions: they never read `this`, so a
 * complete backend can be assembled from two implementations' kernels.
 */

/** Batched GEMM: for b in [0, batch): C[b] = op(A[b]) @ op(B[b]) (+ bias) (+ C[b] if accumulate). */
export interface MatmulParams {
  batch: number;
  m: number;
  n: number;
  k: number;
  /** A[b] is stored [K, M] instead of [M, K]. */
  transA: boolean;
  /** B[b] is stored [N, K] instead of [K, N] (the nn.Linear weight layout). */
  transB: boolean;
  /** Elements between consecutive A (B) matrices; 0 broadcasts one matrix over the batch. */
  strideA: number;
  strideB: number;
  /** Optional [N] vector added to every row of C (fused Linear bias). */
  bias?: Float32Array;
  /** Add into C instead of overwriting it (gradient accumulation). */
  accumulate?: boolean;
  /**
   * B is a parameter that rarely changes: a backend may keep its packed panels keyed by `key`
   * and reuse them while `version` is unchanged (DESIGN.md: packing the weight on every call
   * costs as much as the multiply when M is small).
   */
  cacheB?: { key: object; version: number };
}

/** Scaled dot-product attention over [B, H, L, D] blocks. */
export interface AttentionParams {
  batch: number;
  heads: number;
  /** Key/value heads (grouped-query attention when < heads; heads % kvHeads == 0). */
  kvHeads: number;
  lq: number;
  lk: number;
  headDim: number;
  scale: number;
  /**
   * Causal: query i sees keys j <= i + (lk - lq) (queries are the last lq positions, as
   * during cached decoding).
   */
  causal: boolean;
  /**
   * Optional additive mask, [maskBatch, maskHeads, lq, lk] with maskBatch in {1, batch} and
   * maskHeads in {1, heads}; -Infinity hides a key.
   */
  mask?: Float32Array;
  maskBatch?: number;
  maskHeads?: number;
  /**
   * Optional memory layout of q, k, v and out. "bhld" (the default): [B, H, L, D] blocks, one
   * contiguous [L, D] matrix per head. "blhd": [B, L, H, D], i.e. each token's heads side by
   * side as the q/k/v projections produce them ([B, L, H * D]), so attention needs no permute
   * copies around it. A `PartialBackend` reads "blhd" only when its `attentionLayouts` lists it.
   */
  layout?: AttentionLayout;
  /**
   * Optional [B, H, Lq, Lk] output (whatever the layout): the softmax weights of every query
   * row, 0 for keys that causality hides. Training saves them for `attentionBackward`. A
   * `PartialBackend` is given them only when it has `attentionBackward`.
   */
  probs?: Float32Array;
}

/** The float32 scalars of one `Backend.adamwStep` (decay 1: no weight decay). */
export interface AdamWStepScalars {
  decay: number;
  beta1: number;
  beta2: number;
  oneMinusBeta1: number;
  oneMinusBeta2: number;
  stepSize: number;
  bc2Sqrt: number;
  eps: number;
}

/** See `AttentionParams.layout`. */
export type AttentionLayout = "bhld" | "blhd";

/** The complete kernel set: what `getBackend()` returns, every kernel and every layout. */
export interface Backend {
  readonly name: "js" | "native";
  /** Threads used by parallel kernels (1 for js). */
  threads(): number;
  setThreads(n: number): void;

  matmul(a: Float32Array, b: Float32Array, out: Float32Array, p: MatmulParams): void;

  /** Row-wise max-subtracted softmax over `cols`. */
  softmax(x: Float32Array, out: Float32Array, rows: number, cols: number): void;
  /**
   * Layer norm over the last `cols`; weight/bias may be null. Writes the per-row mean and
   * reciprocal std (for the backward pass) when given.
   */
  layerNorm(
    x: Float32Array, weight: Float32Array | null, bias: Float32Array | null, out: Float32Array,
    rows: number, cols: number, eps: number, mean?: Float32Array, rstd?: Float32Array,
  ): void;
  /** RMS norm over the last `cols` (Llama): x * rsqrt(mean(x^2) + eps) * weight. */
  rmsNorm(
    x: Float32Array, weight: Float32Array | null, out: Float32Array,
    rows: number, cols: number, eps: number, rstd?: Float32Array,
  ): void;
  /** out[i] = a[i] + b[i], in float32; out may be a or b (in place). Residual sums and gradient accumulation. */
  add(a: Float32Array, b: Float32Array, out: Float32Array): void;
  /** GELU, exact erf form. */
  gelu(x: Float32Array, out: Float32Array): void;
  /** GELU, tanh approximation. */
  geluTanh(x: Float32Array, out: Float32Array): void;
  /** x * sigmoid(1.702 x), as in OpenAI CLIP. */
  quickGelu(x: Float32Array, out: Float32Array): void;
  /** x * sigmoid(x). */
  silu(x: Float32Array, out: Float32Array): void;

  /**
   * out = softmax(q k^T * scale + mask) v, q [B, H, Lq, D], k/v [B, Hkv, Lk, D],
   * out [B, H, Lq, D] (in `p.layout`).
   */
  attention(
    q: Float32Array, k: Float32Array, v: Float32Array, out: Float32Array, p: AttentionParams,
  ): void;

  /**
   * Fused backward kernels (training). Like the forward kernels they never allocate: the
   * caller passes every output, sized exactly. NaN and infinities propagate as in the js
   * reference.
   */
  /** gradIn = gradOut * f'(x) for the activation `kind` (x is the forward's input). */
  activationBackward(kind: ActivationKind, x: Float32Array, gradOut: Float32Array, gradIn: Float32Array): void;
  /**
   * Layer-norm backward over [rows, cols], from the forward's per-row `mean` and `rstd`.
   * gradIn = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)), dxhat = gradOut * weight
   * (weight null: 1). gradWeight = sum over rows of gradOut * xhat, gradBias = sum of gradOut;
   * both are overwritten (not added to) and may be null when not wanted.
   */
  layerNormBackward(
    x: Float32Array, weight: Float32Array | null, mean: Float32Array, rstd: Float32Array, gradOut: Float32Array,
    gradIn: Float32Array, gradWeight: Float32Array | null, gradBias: Float32Array | null, rows: number, cols: number,
  ): void;
  /**
   * RMS-norm backward from the forward's per-row `rstd` (s): gradIn = s * gw - x * s^3 * mean(gw * x),
   * gw = gradOut * weight; gradWeight (overwritten, may be null) = sum over rows of gradOut * x * s.
   */
  rmsNormBackward(
    x: Float32Array, weight: Float32Array | null, rstd: Float32Array, gradOut: Float32Array, gradIn: Float32Array,
    gradWeight: Float32Array | null, rows: number, cols: number,
  ): void;
  /**
   * Backward of `attention` from the forward's inputs and its `probs` P, in the layout of
   * `p.layout`: with dP = gradOut v^T and dS = P * (dP - rowsum(dP * P)) * scale,
   * gradQ = dS k, gradK = dS^T q, gradV = P^T gradOut (summed over the query heads that share a
   * key/value head). All three are overwritten. The mask is not differentiated.
   */
  attentionBackward(
    q: Float32Array, k: Float32Array, v: Float32Array, probs: Float32Array, gradOut: Float32Array,
    gradQ: Float32Array, gradK: Float32Array, gradV: Float32Array, p: AttentionParams,
  ): void;
  /** Row-wise softmax backward from its output y: gradIn = y * (gradOut - sum(gradOut * y)). */
  softmaxBackward(y: Float32Array, gradOut: Float32Array, gradIn: Float32Array, rows: number, cols: number): void;
  /**
   * Column sums of x [rows, cols] (bias gradients: sum over the leading axes): out[j] = the
   * float64 sum of x[r * cols + j] over r = 0, 1, ... in that order, rounded once to float32,
   * so that every backend gives the js reference's bits.
   */
  sumRows(x: Float32Array, out: Float32Array, rows: number, cols: number): void;
  /**
   * One AdamW step over a parameter's arrays, in place, in float32 with every operation
   * rounded as PyTorch's in-place ops do (no fused multiply-add):
   *   p = p * decay; m = m * beta1 + g * oneMinusBeta1; v = v * beta2 + (g * g) * oneMinusBeta2;
   *   p = p + stepSize * (m / (sqrt(v) / bc2Sqrt + eps)).
   * Every scalar is already a float32 value; results are the js reference's bits.
   */
  adamwStep(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, h: AdamWStepScalars): void;

  /**
   * `matmul` with B held as 16-bit floats (weights kept as stored: a 7B model in
   * F16 needs ~14 GB, not 28). Exactly `matmul(a, decode(bBits), out, p)`, where `decode` maps
   * each element to its float32 value: "f16" is IEEE binary16 (subnormals, infinities and NaN
   * included), "bf16" is the top 16 bits of a float32 (value = bits << 16). Every `p` field has
   * its `matmul` meaning (batch, strides and transposes in elements, bias, accumulate); the
   * usual call is a Linear layer, `transB: true` with B [N, K] row-major.
   *
   * Accumulate in float32 or wider; summation order is free (results may differ from the js
   * reference by float rounding, never by more). NaN and infinities propagate as in `matmul`.
   * `p.cacheB` may key packed *half* panels; a backend must not keep a float32 copy of the
   * whole of B alive between calls, since that is the memory this method exists to save
   * (float32 scratch per call or per panel is fine). The js reference converts one row of B
   * at a time.
   */
  matmulHalfB(
    a: Float32Array, bBits: Uint16Array, kind: HalfKind, out: Float32Array, p: MatmulParams,
  ): void;
}

/** The kernels a `PartialBackend` may lack; `completeBackend` takes them from the js reference. */
export type OptionalKernel =
  | "add" | "matmulHalfB" | "activationBackward" | "layerNormBackward" | "rmsNormBackward" | "attentionBackward"
  | "softmaxBackward" | "sumRows" | "adamwStep";

/**
 * A backend implementation as built, before `completeBackend`: every kernel but the optional
 * ones (an addon built from older sources lacks the newer kernels), and the attention layouts
 * it reads.
 */
export type PartialBackend = Omit<Backend, OptionalKernel> & Partial<Pick<Backend, OptionalKernel>> & {
  /** The `AttentionParams.layout` values `attention` reads besides "bhld"; absent: "bhld" only. */
  readonly attentionLayouts?: readonly AttentionLayout[];
};

/** The activations with fused kernels (`Backend.gelu` ... `silu`), for `activationBackward`. */
export type ActivationKind = "gelu" | "geluTanh" | "quickGelu" | "silu";

/** 16-bit float formats for `matmulHalfB`: IEEE half, or bfloat16. */
export type HalfKind = "f16" | "bf16";
