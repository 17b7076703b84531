export {
  Optimizer, type BaseHyper, type ParamGroup, type ParamGroupSpec, type ParamState, type OptimizerStateDict,
} from "./optimizer.js";
export { AdamW, type AdamWHyper } from "./adamw.js";
export { SGD, type SGDHyper } from "./sgd.js";
export { paramGroupsNoDecay, defaultNoDecay, type NoDecayPredicate, type ParamGroupsNoDecayOptions } from "./groups.js";
export { cosineWithWarmup, LRScheduler, type LrLambda, type CosineWithWarmupOptions, type LRSchedulerState } from "./schedule.js";
export { clipGradNorm } from "./clip.js";
