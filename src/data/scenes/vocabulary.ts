import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { FileFormatError } from "../../errors.js";
import { packageRoot } from "../../package-root.js";

const rgb = z.tuple([z.number().int().min(0).max(255), z.number().int().min(0).max(255), z.number().int().min(0).max(255)]);

const vocabularySchema = z.object({
  image_size: z.tuple([z.number().int().positive(), z.number().int().positive()]),
  objects: z
    .array(z.object({ name: z.string().min(1), plural: z.string().min(1), emojibase_label: z.string().min(1), hexcode: z.string().regex(/^[0-9A-Fa-f-]+$/) }))
    .min(2),
  shapes: z.array(z.object({ name: z.enum(["circle", "square", "triangle", "star"]), plural: z.string().min(1) })).min(1),
  colors: z.record(z.string().min(1), rgb),
  items_per_scene: z.tuple([z.number().int().positive(), z.number().int().positive()]),
  cooccur: z.array(z.tuple([z.string(), z.string()])),
  answer_suffix: z.string().min(1),
});

/** The spec of the scene world (`assets/scenes/vocabulary.json`), as the generator reads it. */
export type SceneVocabulary = z.output<typeof vocabularySchema>;
export type ShapeName = SceneVocabulary["shapes"][number]["name"];

/** Where the shipped vocabulary lives; the build copies it next to the data it writes. */
export function defaultVocabularyPath(): string {
  return join(packageRoot(), "assets", "scenes", "vocabulary.json");
}

/**
 * Reads and checks a scene vocabulary: field types, and that the cooccur pairs name known
 * objects and the item range fits, so a typo fails here rather than as a silently empty scene.
 *
 * @example
 * const vocab = loadVocabulary();
 * vocab.objects.map((o) => o.name); // ["cat", "dog", ...]
 */
export function loadVocabulary(file = defaultVocabularyPath()): SceneVocabulary {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new FileFormatError(file, `cannot read the scene vocabulary: ${(err as Error).message}`);
  }
  return parseVocabulary(raw, file);
}

export function parseVocabulary(raw: unknown, source = "vocabulary"): SceneVocabulary {
  const result = vocabularySchema.safeParse(raw);
  if (!result.success) {
    throw new FileFormatError(source, result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; "));
  }
  const vocab = result.data;
  const objects = new Set(vocab.objects.map((o) => o.name));
  if (objects.size !== vocab.objects.length) throw new FileFormatError(source, "objects: duplicate names");
  for (const [a, b] of vocab.cooccur) {
    for (const name of [a, b]) if (!objects.has(name)) throw new FileFormatError(source, `cooccur: "${name}" is not an object`);
    if (a === b) throw new FileFormatError(source, `cooccur: "${a}" paired with itself`);
  }
  // The generator draws square scenes; one size keeps every geometric rule a single number.
  if (vocab.image_size[0] !== vocab.image_size[1]) throw new FileFormatError(source, `image_size: scenes are square, got ${vocab.image_size.join("x")}`);
  const [low, high] = vocab.items_per_scene;
  if (low > high) throw new FileFormatError(source, `items_per_scene: ${low} > ${high}`);
  if (Object.keys(vocab.colors).length === 0) throw new FileFormatError(source, "colors: empty");
  return vocab;
}
