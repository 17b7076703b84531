export {
  Module, param, type StateDict, type StateDictLike, type LoadStateDictOptions, type LoadStateDictResult,
} from "./module.js";
export { uniformFanIn, normalInit, onesParam, zerosParam } from "./init.js";
export { Linear, type LinearOptions, type Weight } from "./linear.js";
export { Embedding, type EmbeddingOptions } from "./embedding.js";
export { type Init, type ParamSource, ParamScope, randomSource } from "./param-source.js";
export { LayerNorm, RMSNorm, type LayerNormOptions } from "./norm.js";
export { Conv2d, type Conv2dLayerOptions } from "./conv.js";
export { Dropout } from "./dropout.js";
export { Activation, activationByName, ACTIVATION_NAMES, type ActivationName } from "./activation.js";
export { MLP, type MLPOptions } from "./mlp.js";
export { MultiheadAttention, type MultiheadAttentionOptions, type AttentionForwardOptions } from "./attention.js";
export { ModuleList, Sequential, type TensorModule } from "./container.js";
