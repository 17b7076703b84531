export * from "./clip/index.js";
