export {
  Module, param, type StateDict, type StateDictLike, type LoadStateDictOptions, type LoadStateDictResult,
} from "./module.js";
export { uniformFanIn, normalInit, onesParam, zerosParam } from "./init.js";
export { Linear, type LinearOptions } from "./linear.js";
export { Embedding } from "./embedding.js";
export { LayerNorm, RMSNorm, type LayerNormOptions } from "./norm.js";
export { Conv2d, type Conv2dLayerOptions } from "./conv.js";
export { Dropout } from "./dropout.js";
export { Activation, activationByName, type ActivationName } from "./activation.js";
export { MLP, type MLPOptions } from "./mlp.js";
export { MultiheadAttention, type MultiheadAttentionOptions, type AttentionForwardOptions } from "./attention.js";
export { ModuleList, Sequential, type TensorModule } from "./container.js";
