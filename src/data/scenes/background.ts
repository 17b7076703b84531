import { Generator } from "../../tensor/random.js";
import { between, intBetween, pick, weightedIndex } from "./draw.js";
import { type Background, fromHex, type Rgb, type TexturePattern, toHex } from "./scene.js";

/** HSL (h in degrees, s and l in 0..1) to 8-bit RGB. */
export function hslToRgb(h: number, s: number, l: number): Rgb {
  const c = (1 - Math.abs(2 * l - 1)) * s;
  const hp = (((h % 360) + 360) % 360) / 60;
  const x = c * (1 - Math.abs((hp % 2) - 1));
  const [r, g, b] = hp < 1 ? [c, x, 0] : hp < 2 ? [x, c, 0] : hp < 3 ? [0, c, x] : hp < 4 ? [0, x, c] : hp < 5 ? [x, 0, c] : [c, 0, x];
  const m = l - c / 2;
  return [r, g, b].map((v) => Math.round((v + m) * 255)) as Rgb;
}

/**
 * Backgrounds stay light and weakly saturated: every shape colour (gray included) and the
 * black line art of the monochrome emoji styles must stand out on them.
 */
function lightColor(g: Generator, hue = between(g, 0, 360), lightness = between(g, 0.82, 0.97)): Rgb {
  return hslToRgb(hue, between(g, 0, 0.45), lightness);
}

const PATTERNS: readonly TexturePattern[] = ["noise", "stripes", "dots", "checks"];

/** A plain colour, a two-colour gradient or a low-contrast texture, equally often. */
export function sampleBackground(g: Generator): Background {
  const kind = weightedIndex(g, [1, 1, 1]);
  if (kind === 0) return { kind: "plain", colors: [toHex(lightColor(g))] };
  if (kind === 1) return { kind: "gradient", colors: [toHex(lightColor(g)), toHex(lightColor(g))], angle: intBetween(g, 0, 359) };
  const hue = between(g, 0, 360);
  const lightness = between(g, 0.86, 0.97);
  const pattern = pick(g, PATTERNS);
  return {
    kind: "texture",
    pattern,
    colors: [toHex(lightColor(g, hue, lightness)), toHex(lightColor(g, hue + between(g, -30, 30), lightness - between(g, 0.06, 0.12)))],
    angle: intBetween(g, 0, 179),
    scale: intBetween(g, pattern === "noise" ? 12 : 10, pattern === "noise" ? 48 : 28),
    seed: g.nextUint32(),
  };
}

const smooth = (t: number): number => t * t * (3 - 2 * t);

/**
 * Value noise: random values on a lattice of `cell` pixels, smoothly interpolated, so the
 * texture has blotches rather than per-pixel grain (grain would look like JPEG noise).
 */
function valueNoise(size: number, cell: number, seed: number): Float32Array {
  const g = new Generator(seed);
  const n = Math.ceil(size / cell) + 2;
  const lattice = Float32Array.from({ length: n * n }, () => g.uniform());
  const out = new Float32Array(size * size);
  for (let y = 0; y < size; y++) {
    const fy = y / cell;
    const j = Math.floor(fy);
    const ty = smooth(fy - j);
    for (let x = 0; x < size; x++) {
      const fx = x / cell;
      const i = Math.floor(fx);
      const tx = smooth(fx - i);
      const top = lattice[j * n + i] * (1 - tx) + lattice[j * n + i + 1] * tx;
      const bottom = lattice[(j + 1) * n + i] * (1 - tx) + lattice[(j + 1) * n + i + 1] * tx;
      out[y * size + x] = top * (1 - ty) + bottom * ty;
    }
  }
  return out;
}

/** The mix weight of the second colour at each pixel, 0..1 (plain loops: this runs once per scene on the main thread). */
function mixWeights(background: Exclude<Background, { kind: "plain" }>, size: number): Float32Array {
  const turn = (background.angle * Math.PI) / 180;
  const [cos, sin] = [Math.cos(turn), Math.sin(turn)];
  const out = new Float32Array(size * size);
  if (background.kind === "gradient") {
    // Projected on the gradient direction and stretched to span the whole image.
    const corners = [0, size].flatMap((x) => [0, size].map((y) => x * cos + y * sin));
    const [lo, hi] = [Math.min(...corners), Math.max(...corners)];
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) out[y * size + x] = (x * cos + y * sin - lo) / (hi - lo);
    return out;
  }
  const { pattern, scale, seed } = background;
  if (pattern === "noise") return valueNoise(size, scale, seed);
  const radius = 0.28 * scale;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const u = (x * cos + y * sin) / scale;
      const v = (-x * sin + y * cos) / scale;
      let w: number;
      if (pattern === "stripes") w = 0.5 + 0.5 * Math.sin(2 * Math.PI * u);
      else if (pattern === "dots") {
        const du = u - Math.round(u);
        const dv = v - Math.round(v);
        // Antialiased edge: one pixel wide ramp at the dot's radius.
        w = Math.min(1, Math.max(0, radius - Math.sqrt(du * du + dv * dv) * scale + 0.5));
      } else w = (Math.floor(u) + Math.floor(v)) & 1;
      out[y * size + x] = w;
    }
  }
  return out;
}

/** The background as packed 8-bit RGB, row by row. */
export function backgroundPixels(background: Background, size: number): Buffer {
  const first = fromHex(background.colors[0]);
  if (background.kind === "plain") return Buffer.alloc(size * size * 3, Buffer.from(first));
  const second = fromHex(background.colors[1]);
  const weights = mixWeights(background, size);
  // Weights quantised to 1/255: the two colours are close, so each step is at most one level.
  const lut = [0, 1, 2].map((c) => Uint8Array.from({ length: 256 }, (_, q) => Math.round(first[c] + ((second[c] - first[c]) * q) / 255)));
  const pixels = Buffer.alloc(size * size * 3);
  for (let k = 0; k < size * size; k++) {
    const q = Math.round(weights[k] * 255);
    pixels[k * 3] = lut[0][q];
    pixels[k * 3 + 1] = lut[1][q];
    pixels[k * 3 + 2] = lut[2][q];
  }
  return pixels;
}
