/** Activations with fused backend kernels: GELU (erf and tanh), QuickGELU, SiLU. */
import { getBackend } from "../../backend/index.js";
import { INV_SQRT2, SQRT_2_OVER_PI, erf as erfScalar, sigmoid as sigmoidScalar } from "../../backend/js/math.js";
import { needsGrad } from "../autograd.js";
import { Tensor } from "../tensor.js";

type Kernel = "gelu" | "geluTanh" | "quickGelu" | "silu";
/** dx[i] = g[i] * f'(x[i]); each activation has its own loop so V8 inlines the formula. */
type BackwardLoop = (x: Float32Array, g: Float32Array, dx: Float32Array) => void;

function activation(x: Tensor, kernel: Kernel, backwardLoop: BackwardLoop): Tensor {
  const out = new Float32Array(x.size);
  getBackend()[kernel](x.f32(kernel), out);
  const result = new Tensor(out, x.shape);
  if (needsGrad(x)) {
    result.setGradFn({
      op: kernel,
      inputs: [x],
      backward: (g) => {
        const dx = new Float32Array(x.size);
        backwardLoop(x.f32(), g.f32(), dx);
        return [new Tensor(dx, x.shape)];
      },
    });
  }
  return result;
}

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** GELU, exact: x * Phi(x). */
export function gelu(x: Tensor): Tensor {
  return activation(x, "gelu", (xd, gd, dx) => {
    for (let i = 0; i < xd.length; i++) {
      const v = xd[i];
      dx[i] = gd[i] * (0.5 * (1 + erfScalar(v * INV_SQRT2)) + v * Math.exp(-0.5 * v * v) * INV_SQRT_2PI);
    }
  });
}

/** GELU, tanh approximation (GPT-2's "gelu_new", HF's "gelu_pytorch_tanh"). */
export function geluTanh(x: Tensor): Tensor {
  return activation(x, "geluTanh", (xd, gd, dx) => {
    for (let i = 0; i < xd.length; i++) {
      const v = xd[i];
      const t = Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v));
      dx[i] = gd[i] * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * 0.044715 * v * v));
    }
  });
}

/** x * sigmoid(1.702 x): the GELU approximation OpenAI's CLIP was trained with. */
export function quickGelu(x: Tensor): Tensor {
  return activation(x, "quickGelu", (xd, gd, dx) => {
    for (let i = 0; i < xd.length; i++) {
      const v = xd[i];
      const s = sigmoidScalar(1.702 * v);
      dx[i] = gd[i] * (s + 1.702 * v * s * (1 - s));
    }
  });
}

/** SiLU (swish): x * sigmoid(x), Llama's MLP gate. */
export function silu(x: Tensor): Tensor {
  return activation(x, "silu", (xd, gd, dx) => {
    for (let i = 0; i < xd.length; i++) {
      const v = xd[i];
      const s = sigmoidScalar(v);
      dx[i] = gd[i] * s * (1 + v * (1 - s));
    }
  });
}
