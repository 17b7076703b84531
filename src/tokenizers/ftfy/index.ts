export { fixText } from "./fix-text.js";
export { fixEncoding } from "./mojibake.js";
export { isBad } from "./badness.js";
