/**
 * What can be said about a scene, from its boxes alone: counts, sides, relations, and which
 * items can be named unambiguously. Questions are asked only where these give one clear answer.
 */
import { VlmError } from "../../errors.js";
import type { Axis, Relation } from "./phrasings.js";
import { boxCenter, type SceneItem } from "./scene.js";

/** A centre left of this share of the width is "left", right of 1 minus it "right" (same for top/bottom). */
export const SIDE_LIMIT = 0.4;
/** Two centres this share of the image size apart (or more) are clearly left/right of (above/below) each other. */
export const RELATION_GAP = 0.18;

/** What a count or existence question is about. A shape target without colour matches every colour. */
export type Target = { kind: "object"; name: string } | { kind: "shape"; name: string; color: string | null } | { kind: "any" };

/** An item named so that exactly one item in its scene fits: "dog", "circle", "red circle". */
export type Reference = { kind: "object"; name: string } | { kind: "shape"; name: string; color: string | null };

export function matches(item: SceneItem, target: Target): boolean {
  if (target.kind === "any") return true;
  if (item.kind !== target.kind || item.name !== target.name) return false;
  return target.kind === "object" || target.color === null || target.color === item.color;
}

export function countOf(items: readonly SceneItem[], target: Target): number {
  return items.filter((item) => matches(item, target)).length;
}

/** The shortest reference that picks out `item` alone, or null when even "red circle" is shared. */
export function referenceTo(item: SceneItem, items: readonly SceneItem[]): Reference | null {
  const byName: Target = item.kind === "object" ? { kind: "object", name: item.name } : { kind: "shape", name: item.name, color: null };
  if (countOf(items, byName) === 1) return byName;
  if (item.kind === "shape" && countOf(items, { kind: "shape", name: item.name, color: item.color }) === 1) return { kind: "shape", name: item.name, color: item.color };
  return null;
}

/** The only item a reference fits (throws if there is not exactly one: a generator bug). */
export function resolve(reference: Reference, items: readonly SceneItem[]): SceneItem {
  const found = items.filter((item) => matches(item, reference));
  if (found.length !== 1) throw new VlmError("E_SCENE", `reference ${JSON.stringify(reference)} fits ${found.length} items`);
  return found[0];
}

/** "left"/"right" (horizontal) or "top"/"bottom" (vertical); null near the middle, where it would be a guess. */
export function sideOf(item: SceneItem, axis: Axis, imageSize: number): "left" | "right" | "top" | "bottom" | null {
  const c = boxCenter(item.box)[axis === "horizontal" ? 0 : 1] / imageSize;
  if (c < SIDE_LIMIT) return axis === "horizontal" ? "left" : "top";
  if (c > 1 - SIDE_LIMIT) return axis === "horizontal" ? "right" : "bottom";
  return null;
}

/** Whether `a` is clearly apart from `b` along the axis (so both relations along it have an answer). */
export function clearlyApart(a: SceneItem, b: SceneItem, axis: Axis, imageSize: number): boolean {
  const k = axis === "horizontal" ? 0 : 1;
  return Math.abs(boxCenter(a.box)[k] - boxCenter(b.box)[k]) >= RELATION_GAP * imageSize;
}

export function relationAxis(relation: Relation): Axis {
  return relation === "left of" || relation === "right of" ? "horizontal" : "vertical";
}

/** Whether "a is <relation> b" holds, comparing centres (only meaningful when clearlyApart). */
export function holds(a: SceneItem, relation: Relation, b: SceneItem): boolean {
  const [ax, ay] = boxCenter(a.box);
  const [bx, by] = boxCenter(b.box);
  if (relation === "left of") return ax < bx;
  if (relation === "right of") return ax > bx;
  if (relation === "above") return ay < by;
  return ay > by;
}

/** Items in reading order: by centre, left to right, then top to bottom. */
export function leftToRight(items: readonly SceneItem[]): SceneItem[] {
  return [...items].sort((p, q) => boxCenter(p.box)[0] - boxCenter(q.box)[0] || boxCenter(p.box)[1] - boxCenter(q.box)[1]);
}
