export { F16_TABLE, decodeHalf } from "./half-float.js";
export { INV_SQRT2, SQRT_2_OVER_PI, erf, geluErf, geluTanh, sigmoid } from "./math.js";
