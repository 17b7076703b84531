export * from "./clip/index.js";
export { fixEncoding, fixText } from "./ftfy/index.js";
