/**
 * CHAIR's inputs: a synonym file in the shape of the original data/synonyms.txt (one object
 * per line: its name, then its other words, separated by ", "), and the objects really in each
 * image, from COCO's instance and caption annotations or from a JSON Lines file of
 * `{"image" | "image_id", "objects": [...]}` (a vocabulary of one's own).
 */
import { existsSync, readFileSync } from "node:fs";
import { z } from "zod";
import { NotFoundError } from "../../../errors.js";
import { questionId, readJsonFile, readJsonLines } from "./read.js";

/** Synonym groups, each with its object's name first, in file order. */
export function readSynonyms(file: string): string[][] {
  if (!existsSync(file)) throw new NotFoundError(`${file}: no such synonyms file`);
  // As the original reads it: each line stripped, then split on ", "; blank lines hold no word.
  return readFileSync(file, "utf8")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .map((line) => line.split(", "));
}

const instances = z.looseObject({
  annotations: z.array(z.looseObject({ image_id: z.number(), category_id: z.number() })),
  categories: z.array(z.looseObject({ id: z.number(), name: z.string() })),
});

export type CocoInstances = z.infer<typeof instances>;

/** COCO's instances_*.json (only image ids, category ids and category names are read). */
export function readCocoInstances(file: string): CocoInstances {
  return readJsonFile(file, instances, "COCO instances ({annotations: [{image_id, category_id}], categories: [{id, name}]})");
}

const captions = z.looseObject({ annotations: z.array(z.looseObject({ image_id: z.number(), caption: z.string() })) });

export type CocoCaptions = z.infer<typeof captions>;

/** COCO's captions_*.json. */
export function readCocoCaptions(file: string): CocoCaptions {
  return readJsonFile(file, captions, "COCO captions ({annotations: [{image_id, caption}]})");
}

const objectsLine = z
  .looseObject({
    image: z.string().optional(),
    image_id: questionId.optional(),
    objects: z.array(z.string(), { error: "expected the image's object names as a list" }),
  })
  .refine((l) => l.image !== undefined || l.image_id !== undefined, { message: 'expected "image" (file name) or "image_id"' });

export type ImageObjectsLine = z.infer<typeof objectsLine>;

export function readImageObjects(file: string) {
  return readJsonLines(file, objectsLine, 'image objects ({"image" or "image_id", "objects": [...]})');
}
