/**
 * Scaled dot-product attention, softmax(q k^T * scale + mask) v, on the backend's fused kernel
 * in both directions: the forward keeps the softmax weights when a gradient is needed and the
 * backward kernel (`Backend.attentionBackward`) turns them into dq, dk, dv. The composition of
 * recorded ops (matmul, softmax, matmul) is kept as `attentionReference`, the reference the
 * fused kernels are tested against.
 */
import { ShapeError } from "../../errors.js";
import { type AttentionLayout, type AttentionParams, getBackend } from "../../backend/index.js";
import { needsGrad } from "../autograd.js";
import { takeFloat32 } from "../recycled.js";
import { Tensor } from "../tensor.js";
import { formatShape, sameShape } from "../shape.js";
import { add, mul } from "./elementwise.js";
import { expand } from "./layout.js";
import { indexSelect } from "./indexing.js";
import { matmul } from "./matmul.js";
import { softmax } from "./softmax.js";

export interface AttentionOptions {
  /**
   * Additive mask broadcastable to [B, H, Lq, Lk] (0 keeps, -Infinity hides), e.g. a padding
   * mask [B, 1, 1, Lk].
   */
  mask?: Tensor | null;
  /** Query i sees keys j <= i + (Lk - Lq): queries are the last Lq positions. */
  causal?: boolean;
  /** Defaults to 1 / sqrt(headDim). */
  scale?: number;
}

interface Dims { b: number; h: number; hkv: number; lq: number; lk: number; d: number }

function dims(q: Tensor, k: Tensor, v: Tensor): Dims {
  if (q.ndim !== 4 || k.ndim !== 4 || v.ndim !== 4) {
    throw new ShapeError(`attention: q, k, v must be [B, H, L, D], got ${formatShape(q.shape)}, ${formatShape(k.shape)}, ${formatShape(v.shape)}`);
  }
  const [b, h, lq, d] = q.shape;
  const [bk, hkv, lk, dk] = k.shape;
  const same = v.shape[0] === bk && v.shape[1] === hkv && v.shape[2] === lk && v.shape[3] === dk;
  if (bk !== b || dk !== d || !same || hkv === 0 || h % hkv !== 0) {
    throw new ShapeError(`attention: q ${formatShape(q.shape)}, k ${formatShape(k.shape)}, v ${formatShape(v.shape)} do not fit (query heads must be a multiple of key/value heads)`);
  }
  return { b, h, hkv, lq, lk, d };
}

/** The mask as [mb, mh, Lq, Lk] with mb in {1, B}, mh in {1, H}, materialised. */
function normaliseMask(mask: Tensor, s: Dims): Tensor {
  const m = mask.ndim < 4 ? mask.reshape([...new Array(4 - mask.ndim).fill(1), ...mask.shape]) : mask;
  const [mb, mh, mq, mk] = m.shape;
  const ok = m.ndim === 4 && (mb === 1 || mb === s.b) && (mh === 1 || mh === s.h) && (mq === 1 || mq === s.lq) && (mk === 1 || mk === s.lk);
  if (!ok) throw new ShapeError(`attention: mask ${formatShape(mask.shape)} does not broadcast to [${s.b}, ${s.h}, ${s.lq}, ${s.lk}]`);
  return expand(m.detach(), [mb, mh, s.lq, s.lk]);
}

/** Additive causal mask [Lq, Lk] with the decode offset: query i sees keys j <= i + (Lk - Lq). */
export function causalMask(lq: number, lk: number): Tensor {
  const data = new Float32Array(lq * lk);
  const offset = lk - lq;
  for (let i = 0; i < lq; i++) for (let j = i + offset + 1; j < lk; j++) data[i * lk + j] = -Infinity;
  return new Tensor(data, [lq, lk]);
}

/**
 * softmax(q k^T * scale + mask) v for q [B, H, Lq, D] and k, v [B, Hkv, Lk, D] (grouped-query
 * attention when Hkv < H) -> [B, H, Lq, D].
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions = {}): Tensor {
  const s = dims(q, k, v);
  return fusedAttention(q, k, v, kernelParams(s, options), "bhld");
}

/** The backend's attention parameters for `options` (the mask normalised and materialised). */
function kernelParams(s: Dims, options: AttentionOptions): AttentionParams {
  const mask = options.mask ? normaliseMask(options.mask, s) : null;
  return {
    batch: s.b, heads: s.h, kvHeads: s.hkv, lq: s.lq, lk: s.lk, headDim: s.d,
    scale: options.scale ?? 1 / Math.sqrt(s.d),
    causal: options.causal ?? false,
    mask: mask ? mask.f32() : undefined,
    maskBatch: mask ? mask.shape[0] : undefined,
    maskHeads: mask ? mask.shape[1] : undefined,
  };
}

/**
 * The fused kernel on q, k, v stored in `layout` (the output has q's shape), recorded for
 * autograd when one of them needs a gradient.
 */
function fusedAttention(q: Tensor, k: Tensor, v: Tensor, params: AttentionParams, layout: AttentionLayout): Tensor {
  const p: AttentionParams = { ...params, layout };
  const qd = q.f32("attention");
  const kd = k.f32("attention");
  const vd = v.f32("attention");
  const out = takeFloat32(qd.length);
  // The backward runs on the backend that saved the weights, even if another is active by then.
  const backend = getBackend();
  if (!needsGrad(q, k, v)) {
    backend.attention(qd, kd, vd, out, p);
    return new Tensor(out, q.shape);
  }
  const probs = takeFloat32(p.batch * p.heads * p.lq * p.lk);
  backend.attention(qd, kd, vd, out, { ...p, probs });
  const y = new Tensor(out, q.shape);
  y.setGradFn({
    op: "attention",
    inputs: [q, k, v],
    freshGrads: true,
    backward: (g) => {
      const dq = takeFloat32(qd.length);
      const dk = takeFloat32(kd.length);
      const dv = takeFloat32(vd.length);
      backend.attentionBackward(qd, kd, vd, probs, g.f32(), dq, dk, dv, p);
      return [
        q.requiresGrad ? new Tensor(dq, q.shape) : null,
        k.requiresGrad ? new Tensor(dk, k.shape) : null,
        v.requiresGrad ? new Tensor(dv, v.shape) : null,
      ];
    },
  });
  return y;
}

/**
 * Multi-head attention with the heads packed in the last dimension, as the q/k/v projections
 * produce them: q [B, Lq, H * D], k and v [B, Lk, Hkv * D] -> [B, Lq, H * D]. Equal to splitting
 * the heads out ([B, H, L, D]), `scaledDotProductAttention` and merging them back, minus the
 * permute copies: the kernel reads this layout in place.
 *
 * @example
 * const o = attentionPackedHeads(qProj, kProj, vProj, 12, 12); // [1, 50, 768] -> [1, 50, 768]
 */
export function attentionPackedHeads(
  q: Tensor, k: Tensor, v: Tensor, heads: number, kvHeads: number, options: AttentionOptions = {},
): Tensor {
  if (q.ndim !== 3 || k.ndim !== 3 || v.ndim !== 3) {
    throw new ShapeError(`attention: packed q, k, v must be [B, L, H * D], got ${formatShape(q.shape)}, ${formatShape(k.shape)}, ${formatShape(v.shape)}`);
  }
  const [b, lq, width] = q.shape;
  const [, lk, kvWidth] = k.shape;
  const d = width / heads;
  const fits = Number.isInteger(heads) && heads > 0 && Number.isInteger(kvHeads) && kvHeads > 0 && heads % kvHeads === 0 &&
    Number.isInteger(d) && kvWidth === kvHeads * d && k.shape[0] === b && sameShape(v.shape, k.shape);
  if (!fits) {
    throw new ShapeError(`attention: q ${formatShape(q.shape)} in ${heads} heads, k ${formatShape(k.shape)} and v ${formatShape(v.shape)} in ${kvHeads} heads do not fit (equal head sizes, query heads a multiple of key/value heads)`);
  }
  const s: Dims = { b, h: heads, hkv: kvHeads, lq, lk, d };
  return fusedAttention(q, k, v, kernelParams(s, options), "blhd");
}

/** The unfused composition, recorded for autograd. */
export function attentionReference(q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions = {}): Tensor {
  const s = dims(q, k, v);
  const mask = options.mask ? normaliseMask(options.mask, s) : null;
  return attentionComposed(q, k, v, s, options.scale ?? 1 / Math.sqrt(s.d), mask, options.causal ?? false);
}

function attentionComposed(q: Tensor, k: Tensor, v: Tensor, s: Dims, scale: number, mask: Tensor | null, causal: boolean): Tensor {
  let keys = k;
  let values = v;
  if (s.hkv !== s.h) {
    // Each key/value head serves h / hkv consecutive query heads.
    const group = s.h / s.hkv;
    const heads = new Int32Array(s.h).map((_, i) => Math.floor(i / group));
    const index = new Tensor(heads, [s.h]);
    keys = indexSelect(k, 1, index);
    values = indexSelect(v, 1, index);
  }
  let scores = mul(matmul(q, keys, { transB: true }), scale); // [B, H, Lq, Lk]
  if (mask) scores = add(scores, mask);
  if (causal) scores = add(scores, causalMask(s.lq, s.lk));
  const probs = softmax(scores, -1);
  return matmul(probs, values); // [B, H, Lq, D]
}

