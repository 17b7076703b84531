/**
 * Rotary position embeddings (Su et al. 2021) in the Hugging Face "rotate-half" layout: the
 * pairs rotated together are (i, i + D/2), not Meta's interleaved (2i, 2i + 1), which is why
 * converted checkpoints permute q/k rows. Frequencies follow transformers, float32 included,
 * so angles at large positions round as they do there.
 */
import { ShapeError } from "../../errors.js";
import { Tensor } from "../../tensor/index.js";
import { needsGrad } from "../../tensor/autograd.js";
import type { LlamaConfig } from "./config.js";

const f32 = Math.fround;

/** inv_freq[i] = 1 / theta^(2i / D), rescaled as `rope_scaling` asks (linear or llama3). */
export function inverseFrequencies(c: LlamaConfig): Float32Array {
  const dim = c.head_dim;
  const inv = new Float32Array(dim / 2);
  for (let i = 0; i < inv.length; i++) inv[i] = f32(1 / f32(c.rope_theta ** f32((2 * i) / dim)));
  const s = c.rope_scaling;
  const type = s?.rope_type ?? s?.type ?? "default";
  if (!s || type === "default") return inv;
  if (type === "linear") return inv.map((f) => f / s.factor);
  // llama3: long wavelengths are slowed by `factor`, short ones kept, the band between blended.
  const lowWavelen = s.original_max_position_embeddings / s.low_freq_factor;
  const highWavelen = s.original_max_position_embeddings / s.high_freq_factor;
  return inv.map((f) => {
    const wavelen = (2 * Math.PI) / f;
    if (wavelen < highWavelen) return f;
    if (wavelen > lowWavelen) return f / s.factor;
    const smooth = (s.original_max_position_embeddings / wavelen - s.low_freq_factor) / (s.high_freq_factor - s.low_freq_factor);
    return (1 - smooth) * (f / s.factor) + smooth * f;
  });
}

/** cos and sin of position * inv_freq, [count, D/2] each. */
export interface RotaryTables {
  cos: Float32Array;
  sin: Float32Array;
}

export function rotaryTables(invFreq: Float32Array, positions: Int32Array): RotaryTables {
  const half = invFreq.length;
  const cos = new Float32Array(positions.length * half);
  const sin = new Float32Array(positions.length * half);
  for (let p = 0; p < positions.length; p++) {
    for (let i = 0; i < half; i++) {
      const angle = f32(positions[p] * invFreq[i]);
      cos[p * half + i] = Math.cos(angle);
      sin[p * half + i] = Math.sin(angle);
    }
  }
  return { cos, sin };
}

/**
 * x * cos + rotate_half(x) * sin for x [B, H, L, D], with tables for the B * L positions.
 * The rotation is linear in x, so its gradient is the inverse rotation (sin negated).
 */
export function applyRotary(x: Tensor, t: RotaryTables): Tensor {
  const [b, h, l, d] = x.shape;
  const half = d / 2;
  if (x.ndim !== 4 || t.cos.length !== b * l * half) {
    throw new ShapeError(`applyRotary: x [${x.shape}] does not fit tables for ${t.cos.length / half} positions of ${half} frequencies`);
  }
  const out = new Tensor(rotate(x.f32("applyRotary"), t.cos, t.sin, b, h, l, d, 1), x.shape);
  if (needsGrad(x)) {
    out.setGradFn({
      op: "applyRotary",
      inputs: [x],
      backward: (g) => [new Tensor(rotate(g.f32(), t.cos, t.sin, b, h, l, d, -1), x.shape)],
    });
  }
  return out;
}

function rotate(x: Float32Array, cos: Float32Array, sin: Float32Array, b: number, h: number, l: number, d: number, sign: 1 | -1): Float32Array {
  const half = d / 2;
  const out = new Float32Array(x.length);
  for (let bi = 0; bi < b; bi++) {
    for (let hi = 0; hi < h; hi++) {
      for (let li = 0; li < l; li++) {
        const o = ((bi * h + hi) * l + li) * d;
        const tb = (bi * l + li) * half;
        for (let i = 0; i < half; i++) {
          const c = cos[tb + i];
          const s = sign * sin[tb + i];
          const x1 = x[o + i];
          const x2 = x[o + half + i];
          out[o + i] = x1 * c - x2 * s;
          out[o + half + i] = x2 * c + x1 * s;
        }
      }
    }
  }
  return out;
}
