/**
 * The js reference for fused attention (Backend.attention, attentionBackward) in both layouts:
 * plain loops, one query row at a time. The native backend is tested against these.
 */
import type { AttentionParams } from "../backend.js";

/**
 * Element offsets of the query row (b, h, i) and of key/value row j of the key/value head
 * serving h, for [B, H, L, D] blocks or [B, L, H, D] rows.
 */
interface Rows {
  /** Start of query head (b, h); query i is i * qRow further. */
  q(b: number, h: number): number;
  /** Start of the key/value head serving (b, h); key j is j * kvRow further. */
  kv(b: number, h: number): number;
  qRow: number;
  kvRow: number;
}

function rows(p: AttentionParams): Rows {
  const { heads, kvHeads, lq, lk, headDim: d } = p;
  const group = heads / kvHeads;
  const blhd = p.layout === "blhd";
  const qHead = blhd ? d : lq * d;
  const kvHead = blhd ? d : lk * d;
  return {
    q: (b, h) => b * heads * lq * d + h * qHead,
    kv: (b, h) => b * kvHeads * lk * d + Math.floor(h / group) * kvHead,
    qRow: blhd ? heads * d : d,
    kvRow: blhd ? kvHeads * d : d,
  };
}

/** Keys query i sees: all, or j <= i + (lk - lq) under causality. */
function visibleKeys(p: AttentionParams, i: number): number {
  return p.causal ? Math.max(0, Math.min(p.lk, i + p.lk - p.lq + 1)) : p.lk;
}

export function attention(
  q: Float32Array, k: Float32Array, v: Float32Array, out: Float32Array, p: AttentionParams,
): void {
  const { batch, heads, lq, lk, headDim: d, scale, mask, probs } = p;
  const maskBatch = p.maskBatch ?? 1;
  const maskHeads = p.maskHeads ?? 1;
  const at = rows(p);
  const scores = new Float32Array(lk);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      const qBase = at.q(b, h);
      const kvBase = at.kv(b, h);
      const maskBase = mask
        ? ((maskBatch === 1 ? 0 : b) * maskHeads + (maskHeads === 1 ? 0 : h)) * lq * lk
        : 0;
      for (let i = 0; i < lq; i++) {
        const qi = qBase + i * at.qRow;
        const visible = visibleKeys(p, i);
        let max = -Infinity;
        for (let j = 0; j < visible; j++) {
          const kj = kvBase + j * at.kvRow;
          let s = 0;
          for (let t = 0; t < d; t++) s += q[qi + t] * k[kj + t];
          s *= scale;
          if (mask) s += mask[maskBase + i * lk + j];
          scores[j] = s;
          if (s > max) max = s;
        }
        let sum = 0;
        for (let j = 0; j < visible; j++) {
          const e = Math.exp(scores[j] - max);
          scores[j] = e;
          sum += e;
        }
        // The output row has the query row's offset in either layout.
        out.fill(0, qi, qi + d);
        const inv = 1 / sum;
        const pi = ((b * heads + h) * lq + i) * lk;
        for (let j = 0; j < visible; j++) {
          const w = scores[j] * inv;
          if (probs) probs[pi + j] = w;
          const vj = kvBase + j * at.kvRow;
          for (let t = 0; t < d; t++) out[qi + t] += w * v[vj + t];
        }
        if (probs) probs.fill(0, pi + visible, pi + lk);
      }
    }
  }
}

export function attentionBackward(
  q: Float32Array, k: Float32Array, v: Float32Array, probs: Float32Array, gradOut: Float32Array,
  gradQ: Float32Array, gradK: Float32Array, gradV: Float32Array, p: AttentionParams,
): void {
  const { batch, heads, lq, lk, headDim: d, scale } = p;
  const at = rows(p);
  gradQ.fill(0);
  gradK.fill(0);
  gradV.fill(0);
  const ds = new Float64Array(lk);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      const qBase = at.q(b, h);
      const kvBase = at.kv(b, h);
      for (let i = 0; i < lq; i++) {
        const qi = qBase + i * at.qRow;
        const pi = ((b * heads + h) * lq + i) * lk;
        const visible = visibleKeys(p, i);
        // dP[j] = gradOut_i . v_j; dS = P * (dP - sum(P * dP)) * scale
        let delta = 0;
        for (let j = 0; j < visible; j++) {
          const vj = kvBase + j * at.kvRow;
          let dp = 0;
          for (let t = 0; t < d; t++) dp += gradOut[qi + t] * v[vj + t];
          ds[j] = dp;
          delta += probs[pi + j] * dp;
        }
        for (let j = 0; j < visible; j++) {
          const pj = probs[pi + j];
          const dsj = pj * (ds[j] - delta) * scale;
          const kj = kvBase + j * at.kvRow;
          for (let t = 0; t < d; t++) {
            gradQ[qi + t] += dsj * k[kj + t];
            gradK[kj + t] += dsj * q[qi + t];
            gradV[kj + t] += pj * gradOut[qi + t];
          }
        }
      }
    }
  }
}
