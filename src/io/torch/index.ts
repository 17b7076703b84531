export { type TorchCheckpoint, loadTorchCheckpoint, readTorchCheckpoint } from "./checkpoint.js";
export { PickleGlobal, TorchScriptObject } from "./globals.js";
export { type PickleHooks, type PickleSource, type PickleValue, unpickle } from "./pickle.js";
export { stateDictOf } from "./state-dict.js";
export { type ZipEntry, ZipReader } from "./zip.js";
