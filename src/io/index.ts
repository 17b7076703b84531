export { SAFETENSORS_DTYPES, type SafetensorsDType, type RawData } from "./dtypes.js";
export { MAX_HEADER_BYTES, type SafetensorsHeader, type TensorInfo, readSafetensorsHeader } from "./header.js";
export {
  type LoadOptions, type RawTensor, type SafetensorsReader, loadSafetensors, loadSafetensorsRaw, openSafetensors,
} from "./read.js";
export { type SaveDType, type SaveOptions, type TensorDict, saveSafetensors } from "./write.js";
export {
  INDEX_FILE, SINGLE_FILE, type ShardedSaveOptions, loadSafetensorsSharded, loadWeights, saveSafetensorsSharded,
} from "./sharded.js";
export {
  bf16BitsToF32, bf16ToFloat32, f16BitsToF32, f16ToFloat32, f32Bits, f32BitsToBf16, f32BitsToF16, float32ToBf16, float32ToF16,
} from "./half.js";
export { readJson, readJsonObject, isJsonObject } from "./json.js";
export { Checkpoint, type CheckpointOptions, type LoadDType } from "./checkpoint.js";
export { type ModelLocation, type ModelSource, type OpenModelOptions, locateModel, openModelSource } from "./model-source.js";
