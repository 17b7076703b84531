export { type TrainClipCallbacks, type TrainClipResult, trainClip } from "./trainer.js";
export { type TrainClipInput, type TrainClipOptions, parseTrainClipOptions, trainClipOptionsSchema } from "./options.js";
export { clipPresetNames, resolveModelConfig } from "./presets.js";
export { applyTrainableParts, initClipWeights } from "./setup.js";
export { clampLogitScale, contrastiveLoss } from "./step.js";
export { type ClipMetricRow, type ClipStepMetrics, type EvalRow } from "./evaluate.js";
export { deepenClip, type DeepenOptions } from "./deepen.js";
