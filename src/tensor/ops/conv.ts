/**
 * 2-d convolution by im2col + GEMM, and average / max pooling. A ViT patch embedding is the
 * stride = kernel case: each patch flattened, then projected.
 */
import { ArgumentError, ShapeError } from "../../errors.js";
import { getBackend } from "../../backend/index.js";
import { needsGrad } from "../autograd.js";
import { Tensor } from "../tensor.js";
import { formatShape } from "../shape.js";

export type Pair = number | readonly [number, number];

function pair(v: Pair, what: string): [number, number] {
  const p: [number, number] = typeof v === "number" ? [v, v] : [v[0], v[1]];
  if (p.some((x) => !Number.isInteger(x) || x < 0)) throw new ArgumentError(`${what} must be non-negative integers, got ${String(v)}`);
  return p;
}

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
}

interface Geometry {
  n: number; c: number; h: number; w: number;
  kh: number; kw: number; sh: number; sw: number; ph: number; pw: number; dh: number; dw: number;
  oh: number; ow: number;
}

function outSize(size: number, k: number, s: number, p: number, d: number): number {
  return Math.floor((size + 2 * p - d * (k - 1) - 1) / s) + 1;
}

/**
 * Unfolds one image (channels [c0, c0 + cg)) into columns [cg * kh * kw, oh * ow]; padding reads
 * as zero. The same index walk, reversed, folds gradients back (col2im).
 */
function im2col(x: Float32Array, base: number, cg: number, g: Geometry, cols: Float32Array, fold: boolean): void {
  const { h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow } = g;
  let row = 0;
  for (let ch = 0; ch < cg; ch++) {
    const plane = base + ch * h * w;
    for (let ki = 0; ki < kh; ki++) {
      for (let kj = 0; kj < kw; kj++, row++) {
        const rowBase = row * oh * ow;
        for (let oi = 0; oi < oh; oi++) {
          const y = oi * sh - ph + ki * dh;
          const colBase = rowBase + oi * ow;
          if (y < 0 || y >= h) {
            if (!fold) cols.fill(0, colBase, colBase + ow);
            continue;
          }
          const src = plane + y * w;
          for (let oj = 0; oj < ow; oj++) {
            const xj = oj * sw - pw + kj * dw;
            const inside = xj >= 0 && xj < w;
            if (fold) {
              if (inside) x[src + xj] += cols[colBase + oj];
            } else {
              cols[colBase + oj] = inside ? x[src + xj] : 0;
            }
          }
        }
      }
    }
  }
}

/**
 * x [N, C, H, W] * weight [O, C / groups, kh, kw] (+ bias [O]) -> [N, O, oh, ow], as torch's
 * conv2d.
 */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: Conv2dOptions = {}): Tensor {
  if (x.ndim !== 4 || weight.ndim !== 4) {
    throw new ShapeError(`conv2d: expects input [N, C, H, W] and weight [O, C, kh, kw], got ${formatShape(x.shape)} and ${formatShape(weight.shape)}`);
  }
  const groups = options.groups ?? 1;
  const [n, c, h, w] = x.shape;
  const [o, cg, kh, kw] = weight.shape;
  if (c % groups !== 0 || o % groups !== 0 || cg !== c / groups) {
    throw new ShapeError(`conv2d: weight ${formatShape(weight.shape)} does not fit input ${formatShape(x.shape)} with groups=${groups}`);
  }
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== o)) throw new ShapeError(`conv2d: bias ${formatShape(bias.shape)} does not match ${o} output channels`);
  const [sh, sw] = pair(options.stride ?? 1, "stride");
  const [ph, pw] = pair(options.padding ?? 0, "padding");
  const [dh, dw] = pair(options.dilation ?? 1, "dilation");
  if (sh === 0 || sw === 0 || dh === 0 || dw === 0) throw new ArgumentError("conv2d: stride and dilation must be positive");
  const oh = outSize(h, kh, sh, ph, dh);
  const ow = outSize(w, kw, sw, pw, dw);
  if (oh <= 0 || ow <= 0) throw new ShapeError(`conv2d: kernel ${kh}x${kw} is larger than the padded input ${h}x${w}`);
  const g: Geometry = { n, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow };
  const og = o / groups;
  const kdim = cg * kh * kw;
  const spatial = oh * ow;
  const xd = x.f32("conv2d");
  const wd = weight.f32("conv2d");
  const out = new Float32Array(n * o * spatial);
  const cols = new Float32Array(kdim * spatial);
  const backend = getBackend();
  for (let b = 0; b < n; b++) {
    for (let gi = 0; gi < groups; gi++) {
      im2col(xd, (b * c + gi * cg) * h * w, cg, g, cols, false);
      const res = new Float32Array(og * spatial);
      // [og, kdim] @ [kdim, spatial]
      backend.matmul(wd.subarray(gi * og * kdim, (gi + 1) * og * kdim), cols, res, {
        batch: 1, m: og, n: spatial, k: kdim, transA: false, transB: false, strideA: 0, strideB: 0,
      });
      out.set(res, (b * o + gi * og) * spatial);
    }
  }
  if (bias) {
    const bd = bias.f32("conv2d");
    for (let b = 0; b < n; b++) for (let oc = 0; oc < o; oc++) {
      const base = (b * o + oc) * spatial;
      for (let i = 0; i < spatial; i++) out[base + i] += bd[oc];
    }
  }
  const result = new Tensor(out, [n, o, oh, ow]);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  if (needsGrad(...inputs)) {
    result.setGradFn({
      op: "conv2d",
      inputs,
      backward: (grad) => {
        const gd = grad.f32();
        const dx = x.requiresGrad ? new Float32Array(x.size) : null;
        const dwt = weight.requiresGrad ? new Float32Array(weight.size) : null;
        const colGrad = new Float32Array(kdim * spatial);
        for (let b = 0; b < n; b++) {
          for (let gi = 0; gi < groups; gi++) {
            const gOut = gd.subarray((b * o + gi * og) * spatial, (b * o + (gi + 1) * og) * spatial);
            if (dwt) {
              im2col(xd, (b * c + gi * cg) * h * w, cg, g, cols, false);
              // dW += gOut [og, spatial] @ cols^T [spatial, kdim]
              backend.matmul(gOut, cols, dwt.subarray(gi * og * kdim, (gi + 1) * og * kdim), {
                batch: 1, m: og, n: kdim, k: spatial, transA: false, transB: true, strideA: 0, strideB: 0, accumulate: true,
              });
            }
            if (dx) {
              // dcols = W^T [kdim, og] @ gOut [og, spatial], folded back onto the image.
              backend.matmul(wd.subarray(gi * og * kdim, (gi + 1) * og * kdim), gOut, colGrad, {
                batch: 1, m: kdim, n: spatial, k: og, transA: true, transB: false, strideA: 0, strideB: 0,
              });
              im2col(dx, (b * c + gi * cg) * h * w, cg, g, colGrad, true);
            }
          }
        }
        const grads: Array<Tensor | null> = [dx ? new Tensor(dx, x.shape) : null, dwt ? new Tensor(dwt, weight.shape) : null];
        if (bias) {
          const db = new Float32Array(o);
          for (let b = 0; b < n; b++) for (let oc = 0; oc < o; oc++) {
            const base = (b * o + oc) * spatial;
            let s = 0;
            for (let i = 0; i < spatial; i++) s += gd[base + i];
            db[oc] += s;
          }
          grads.push(new Tensor(db, [o]));
        }
        return grads;
      },
    });
  }
  return result;
}

export interface Pool2dOptions {
  stride?: Pair;
  padding?: Pair;
}

/**
 * Pooling over kernel windows. Padding counts as -inf for max and as zeros included in the
 * divisor for average (torch's count_include_pad=True default).
 */
function pool2d(x: Tensor, kernel: Pair, options: Pool2dOptions, kind: "max" | "avg"): Tensor {
  if (x.ndim !== 4) throw new ShapeError(`${kind}Pool2d: expects [N, C, H, W], got ${formatShape(x.shape)}`);
  const [kh, kw] = pair(kernel, "kernel");
  const [sh, sw] = pair(options.stride ?? kernel, "stride");
  const [ph, pw] = pair(options.padding ?? 0, "padding");
  if (ph * 2 > kh || pw * 2 > kw) throw new ArgumentError(`${kind}Pool2d: padding must be at most half the kernel`);
  const [n, c, h, w] = x.shape;
  const oh = outSize(h, kh, sh, ph, 1);
  const ow = outSize(w, kw, sw, pw, 1);
  if (oh <= 0 || ow <= 0) throw new ShapeError(`${kind}Pool2d: kernel ${kh}x${kw} is larger than the input ${h}x${w}`);
  const xd = x.f32(`${kind}Pool2d`);
  const out = new Float32Array(n * c * oh * ow);
  const argmax = kind === "max" ? new Int32Array(out.length) : null;
  for (let p = 0; p < n * c; p++) {
    const plane = p * h * w;
    for (let oi = 0; oi < oh; oi++) for (let oj = 0; oj < ow; oj++) {
      const oIdx = (p * oh + oi) * ow + oj;
      let acc = kind === "max" ? -Infinity : 0;
      let best = -1;
      for (let ki = 0; ki < kh; ki++) {
        const y = oi * sh - ph + ki;
        if (y < 0 || y >= h) continue;
        for (let kj = 0; kj < kw; kj++) {
          const xj = oj * sw - pw + kj;
          if (xj < 0 || xj >= w) continue;
          const i = plane + y * w + xj;
          const v = xd[i];
          if (kind === "avg") acc += v;
          else if (best === -1 || v > acc || Number.isNaN(v)) {
            if (!Number.isNaN(acc)) {
              acc = v;
              best = i;
            }
          }
        }
      }
      out[oIdx] = kind === "avg" ? acc / (kh * kw) : acc;
      if (argmax) argmax[oIdx] = best;
    }
  }
  const result = new Tensor(out, [n, c, oh, ow]);
  if (needsGrad(x)) {
    result.setGradFn({
      op: `${kind}Pool2d`,
      inputs: [x],
      backward: (grad) => {
        const gd = grad.f32();
        const dx = new Float32Array(x.size);
        if (argmax) {
          for (let i = 0; i < gd.length; i++) dx[argmax[i]] += gd[i];
        } else {
          for (let p = 0; p < n * c; p++) for (let oi = 0; oi < oh; oi++) for (let oj = 0; oj < ow; oj++) {
            const gv = gd[(p * oh + oi) * ow + oj] / (kh * kw);
            for (let ki = 0; ki < kh; ki++) {
              const y = oi * sh - ph + ki;
              if (y < 0 || y >= h) continue;
              for (let kj = 0; kj < kw; kj++) {
                const xj = oj * sw - pw + kj;
                if (xj >= 0 && xj < w) dx[p * h * w + y * w + xj] += gv;
              }
            }
          }
        }
        return [new Tensor(dx, x.shape)];
      },
    });
  }
  return result;
}

export function maxPool2d(x: Tensor, kernel: Pair, options: Pool2dOptions = {}): Tensor {
  return pool2d(x, kernel, options, "max");
}

export function avgPool2d(x: Tensor, kernel: Pair, options: Pool2dOptions = {}): Tensor {
  return pool2d(x, kernel, options, "avg");
}
