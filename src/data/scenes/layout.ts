import type { Generator } from "../../tensor/random.js";
import type { Identity } from "./compose.js";
import { between, intBetween } from "./draw.js";
import { type Box, boxArea, intersectionArea, type Rgb, type SceneItem } from "./scene.js";
import type { ShapeName } from "./vocabulary.js";

/** How one item is drawn: an emoji in a square, or a filled shape. */
export type Drawing =
  | { kind: "emoji"; name: string; box: Box }
  | { kind: "circle"; cx: number; cy: number; r: number; fill: Rgb }
  | { kind: "polygon"; points: [number, number][]; fill: Rgb };

export interface PlacedItem {
  item: SceneItem;
  drawing: Drawing;
}

/**
 * At most this share of the smaller of two boxes may be covered by the other, so every item
 * stays countable and an emoji stays recognisable.
 */
export const MAX_OVERLAP = 0.12;
/** Items keep this far from the image edges (pixels). */
const MARGIN = 2;
/**
 * Shape colours are jittered in brightness (all channels together) and a little per channel:
 * enough to vary, not enough to tint gray or turn orange into red.
 */
const BRIGHTNESS_JITTER = 14;
const CHANNEL_JITTER = 6;

/** Item sizes (the emoji's side, a shape's nominal diameter) shrink as scenes get fuller. */
function sizeRange(count: number, imageSize: number): [number, number] {
  const scale = imageSize / 256;
  const high = count <= 2 ? 92 : count <= 4 ? 80 : 68;
  return [40 * scale, high * scale];
}

const round2 = (v: number): number => Math.round(v * 100) / 100;

/** The outline of a shape of nominal diameter `size` centred at (cx, cy), rotated clockwise. */
export function shapeOutline(name: Exclude<ShapeName, "circle">, cx: number, cy: number, size: number, rotation: number): [number, number][] {
  // Radii chosen so the four shapes cover similar areas at one nominal size.
  const corners: [number, number][] = [];
  const start = -Math.PI / 2;
  if (name === "square") {
    for (let k = 0; k < 4; k++) corners.push([0.6 * size, start + Math.PI / 4 + (k * Math.PI) / 2]);
  } else if (name === "triangle") {
    for (let k = 0; k < 3; k++) corners.push([0.62 * size, start + (k * 2 * Math.PI) / 3]);
  } else {
    for (let k = 0; k < 10; k++) corners.push([(k % 2 === 0 ? 0.6 : 0.27) * size, start + (k * Math.PI) / 5]);
  }
  const turn = (rotation * Math.PI) / 180;
  return corners.map(([r, a]) => [round2(cx + r * Math.cos(a + turn)), round2(cy + r * Math.sin(a + turn))]);
}

function outlineBox(points: readonly [number, number][]): Box {
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  return [Math.floor(Math.min(...xs)), Math.floor(Math.min(...ys)), Math.ceil(Math.max(...xs)), Math.ceil(Math.max(...ys))];
}

function jitter(g: Generator, base: Rgb): Rgb {
  const shift = intBetween(g, -BRIGHTNESS_JITTER, BRIGHTNESS_JITTER);
  return base.map((v) => Math.min(255, Math.max(0, v + shift + intBetween(g, -CHANNEL_JITTER, CHANNEL_JITTER)))) as Rgb;
}

/** The item and how to draw it, centred at (cx, cy) with nominal size `size`. */
function realise(identity: Identity, cx: number, cy: number, size: number, rotation: number, fill: Rgb | null): PlacedItem {
  if (identity.kind === "object") {
    const side = Math.round(size);
    const x0 = Math.round(cx - side / 2);
    const y0 = Math.round(cy - side / 2);
    const box: Box = [x0, y0, x0 + side, y0 + side];
    return { item: { kind: "object", name: identity.name, color: null, rgb: null, box, rotation: 0 }, drawing: { kind: "emoji", name: identity.name, box } };
  }
  const shape = identity.name as ShapeName;
  const item = { kind: "shape" as const, name: shape, color: identity.color, rgb: fill };
  if (shape === "circle") {
    const r = Math.round(size / 2);
    const [x, y] = [Math.round(cx), Math.round(cy)];
    return { item: { ...item, box: [x - r, y - r, x + r, y + r], rotation: 0 }, drawing: { kind: "circle", cx: x, cy: y, r, fill: fill! } };
  }
  const points = shapeOutline(shape, cx, cy, size, rotation);
  return { item: { ...item, box: outlineBox(points), rotation }, drawing: { kind: "polygon", points, fill: fill! } };
}

function fits(box: Box, placed: readonly PlacedItem[], imageSize: number): boolean {
  if (box[0] < MARGIN || box[1] < MARGIN || box[2] > imageSize - MARGIN || box[3] > imageSize - MARGIN) return false;
  const area = boxArea(box);
  return placed.every(({ item }) => intersectionArea(box, item.box) <= MAX_OVERLAP * Math.min(area, boxArea(item.box)));
}

/**
 * Places the items at random sizes, positions and rotations, each inside the image and
 * overlapping any other by at most MAX_OVERLAP of the smaller box. An item that finds no room
 * is tried smaller; null when the scene cannot be laid out at all (the caller draws again).
 */
export function layoutItems(g: Generator, identities: readonly Identity[], colors: Record<string, Rgb>, imageSize: number): PlacedItem[] | null {
  const [low, high] = sizeRange(identities.length, imageSize);
  const placed: PlacedItem[] = [];
  for (const identity of identities) {
    let size = between(g, low, high);
    const rotation = identity.kind === "shape" && identity.name !== "circle" ? intBetween(g, 0, 359) : 0;
    const fill = identity.kind === "shape" ? jitter(g, colors[identity.color!]) : null;
    let done: PlacedItem | null = null;
    for (let shrink = 0; shrink < 3 && !done; shrink++, size *= 0.85) {
      for (let attempt = 0; attempt < 60 && !done; attempt++) {
        const candidate = realise(identity, between(g, size / 2, imageSize - size / 2), between(g, size / 2, imageSize - size / 2), size, rotation, fill);
        if (fits(candidate.item.box, placed, imageSize)) done = candidate;
      }
    }
    if (!done) return null;
    placed.push(done);
  }
  return placed;
}
