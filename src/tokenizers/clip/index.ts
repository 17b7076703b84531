export { CLIPTokenizer } from "./clip-tokenizer.js";
export type { DecodeOptions, TokenizeOptions, TokenizedBatch } from "./clip-tokenizer.js";
export { loadClipTokenizerFiles } from "./load.js";
export type { ClipTokenizerFiles } from "./load.js";
