/**
 * Resizing feature maps as torch.nn.functional.interpolate does (mode "bicubic",
 * align_corners=False, no antialias): used to stretch ViT position embeddings to other image
 * sizes, as HF's `interpolate_pos_encoding`. Bicubic resizing is linear in the input, so it is
 * written as two matrix products (rows, then columns) and gets its gradient from matmul.
 */
import { ShapeError } from "../../errors.js";
import { Tensor } from "../tensor.js";
import { formatShape } from "../shape.js";
import { matmul } from "./matmul.js";

/** PyTorch's cubic convolution kernel, A = -0.75. */
function cubicWeights(t: number): [number, number, number, number] {
  const A = -0.75;
  const near = (x: number) => ((A + 2) * x - (A + 3)) * x * x + 1;
  const far = (x: number) => ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
  return [far(t + 1), near(t), near(1 - t), far(2 - t)];
}

/** [outSize, inSize] matrix of the 1-d bicubic resize, borders clamped as PyTorch does. */
function bicubicMatrix(inSize: number, outSize: number): Tensor {
  const m = new Float32Array(outSize * inSize);
  const scale = inSize / outSize;
  for (let o = 0; o < outSize; o++) {
    const src = (o + 0.5) * scale - 0.5;
    const base = Math.floor(src);
    const w = cubicWeights(src - base);
    for (let k = 0; k < 4; k++) {
      const i = Math.min(Math.max(base - 1 + k, 0), inSize - 1);
      m[o * inSize + i] += w[k];
    }
  }
  return new Tensor(m, [outSize, inSize]);
}

/** x [N, C, H, W] -> [N, C, outH, outW], bicubic. */
export function interpolateBicubic(x: Tensor, outH: number, outW: number): Tensor {
  if (x.ndim !== 4) throw new ShapeError(`interpolateBicubic: expects [N, C, H, W], got ${formatShape(x.shape)}`);
  const [, , h, w] = x.shape;
  const rows = bicubicMatrix(h, outH); // [outH, H]
  const cols = bicubicMatrix(w, outW); // [outW, W]
  return matmul(matmul(rows, x), cols, { transB: true });
}
