/** Activations with fused backend kernels: GELU (erf and tanh), QuickGELU, SiLU. */
import { type ActivationKind, getBackend } from "../../backend/index.js";
import { needsGrad } from "../autograd.js";
import { takeFloat32 } from "../recycled.js";
import { Tensor } from "../tensor.js";

/** Forward and backward both run fused on the backend. */
function activation(x: Tensor, kernel: ActivationKind): Tensor {
  const out = takeFloat32(x.size);
  getBackend()[kernel](x.f32(kernel), out);
  const result = new Tensor(out, x.shape);
  if (needsGrad(x)) {
    result.setGradFn({
      op: kernel,
      inputs: [x],
      freshGrads: true,
      backward: (g) => {
        const dx = takeFloat32(x.size);
        getBackend().activationBackward(kernel, x.f32(), g.f32(), dx);
        return [new Tensor(dx, x.shape)];
      },
    });
  }
  return result;
}

/** GELU, exact: x * Phi(x). Gradient: Phi(x) + x * phi(x). */
export function gelu(x: Tensor): Tensor {
  return activation(x, "gelu");
}

/**
 * GELU, tanh approximation (GPT-2's "gelu_new", HF's "gelu_pytorch_tanh").
 * Gradient: 0.5 (1 + t) + 0.5 x (1 - t^2) u'(x), t = tanh(u), u = sqrt(2/pi) (x + 0.044715 x^3).
 */
export function geluTanh(x: Tensor): Tensor {
  return activation(x, "geluTanh");
}

/** x * sigmoid(1.702 x): the GELU approximation OpenAI's CLIP was trained with. Gradient: s + 1.702 x s (1 - s). */
export function quickGelu(x: Tensor): Tensor {
  return activation(x, "quickGelu");
}

/** SiLU (swish): x * sigmoid(x), Llama's MLP gate. Gradient: s (1 + x (1 - s)), s = sigmoid(x). */
export function silu(x: Tensor): Tensor {
  return activation(x, "silu");
}
