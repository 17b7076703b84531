import { ArgumentError } from "../errors.js";
import { Tensor, gelu, geluTanh, quickGelu, relu, silu, tanh, sigmoid } from "../tensor/index.js";
import { Module } from "./module.js";

/** Activation names as Hugging Face configs spell them (`hidden_act`); model configs accept these. */
export const ACTIVATION_NAMES = ["gelu", "gelu_new", "gelu_pytorch_tanh", "quick_gelu", "silu", "swish", "relu", "tanh", "sigmoid"] as const;
export type ActivationName = (typeof ACTIVATION_NAMES)[number];

const ACTIVATIONS: Record<ActivationName, (x: Tensor) => Tensor> = {
  gelu,
  gelu_new: geluTanh,
  gelu_pytorch_tanh: geluTanh,
  quick_gelu: quickGelu,
  silu,
  swish: silu,
  relu,
  tanh,
  sigmoid,
};

/** The activation function for a config's `hidden_act`; ArgumentError lists the known names. */
export function activationByName(name: string): (x: Tensor) => Tensor {
  const fn = ACTIVATIONS[name as ActivationName];
  if (!fn) throw new ArgumentError(`unknown activation "${name}"; known: ${Object.keys(ACTIVATIONS).join(", ")}`);
  return fn;
}

/**
 * An activation as a module (for Sequential).
 *
 * @example
 * new Sequential(new Linear(2, 64), new Activation("relu"), new Linear(64, 2));
 */
export class Activation extends Module {
  readonly name: ActivationName;
  private readonly _fn: (x: Tensor) => Tensor;

  constructor(name: ActivationName) {
    super();
    this._fn = activationByName(name);
    this.name = name;
  }

  forward(x: Tensor): Tensor {
    return this._fn(x);
  }
}
