/** The ground truth of one scene, as written to `scenes.jsonl` (one line per scene). */

export type Rgb = [number, number, number];

/** [x0, y0, x1, y1] in pixels, x to the right and y down; integers, x1/y1 exclusive. */
export type Box = [number, number, number, number];

export interface SceneItem {
  kind: "object" | "shape";
  /** The vocabulary's name: "dog", "circle". */
  name: string;
  /** A colour name from the vocabulary for shapes; null for objects (drawn in their own colours). */
  color: string | null;
  /** The jittered fill actually drawn (shapes); null for objects. */
  rgb: Rgb | null;
  /** Axis-aligned bounds of what is drawn: the emoji's square, or the rotated polygon's extent. */
  box: Box;
  /** Degrees clockwise; 0 for objects and circles. */
  rotation: number;
}

export type TexturePattern = "noise" | "stripes" | "dots" | "checks";

export type Background =
  | { kind: "plain"; colors: [string] }
  | { kind: "gradient"; colors: [string, string]; angle: number }
  | { kind: "texture"; pattern: TexturePattern; colors: [string, string]; angle: number; scale: number; seed: number };

export interface Scene {
  /** `<split>-<index>`, unique across the build. */
  id: string;
  split: string;
  /** Relative to the image folder (`<out>/images`), as LLaVA's `--image_folder` expects. */
  image: string;
  /** The emoji art style the objects are drawn in (a style id of the icon corpus). */
  style: string;
  background: Background;
  items: SceneItem[];
}

export function boxCenter(box: Box): [number, number] {
  return [(box[0] + box[2]) / 2, (box[1] + box[3]) / 2];
}

export function boxArea(box: Box): number {
  return Math.max(0, box[2] - box[0]) * Math.max(0, box[3] - box[1]);
}

export function intersectionArea(a: Box, b: Box): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  return w > 0 && h > 0 ? w * h : 0;
}

export function toHex([r, g, b]: Rgb): string {
  return `#${[r, g, b].map((v) => v.toString(16).padStart(2, "0")).join("")}`;
}

export function fromHex(hex: string): Rgb {
  return [parseInt(hex.slice(1, 3), 16), parseInt(hex.slice(3, 5), 16), parseInt(hex.slice(5, 7), 16)];
}
