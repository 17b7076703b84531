export { type TrainClipHooks, type TrainClipResult, clampLogitScale, trainClip } from "./trainer.js";
export { type TrainClipInput, type TrainClipOptions, parseTrainClipOptions, trainClipOptionsSchema } from "./options.js";
export { MODEL_PRESETS, type ModelPresetName, resolveModelConfig } from "./presets.js";
export { applyTrainableParts, buildOptimizer, initClipWeights } from "./setup.js";
export { type CheckpointInfo, type TrainerState, listCheckpoints } from "./checkpoint.js";
export { type EvalRow, type MetricRow, type TrainRow } from "./metrics.js";
