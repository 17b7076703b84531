/**
 * How questions are asked. Training data and test sets draw from disjoint template lists, so
 * a test measures understanding of the question rather than recall of its wording.
 *
 * Slots: {a_target} "a dog" / "an orange star", {target} "dog", {targets} "dogs" / "items",
 * {shape} "circle", {color} "red", {ref} "dog" / "red circle", {a} and {b} two such references.
 */

export type Relation = "left of" | "right of" | "above" | "below";
export type Axis = "horizontal" | "vertical";

export interface PhrasingSet {
  exist: readonly string[];
  count: readonly string[];
  color: readonly string[];
  shape: readonly string[];
  position: Readonly<Record<Axis, readonly string[]>>;
  relation: Readonly<Record<Relation, readonly string[]>>;
  describe: readonly string[];
}

export const TRAIN_PHRASINGS: PhrasingSet = {
  exist: [
    "Is there {a_target} in this image?",
    "Is there {a_target} in the picture?",
    "Do you see {a_target}?",
    "Does the image contain {a_target}?",
    "Is {a_target} visible in the picture?",
    "Can you find {a_target} here?",
    "Is {a_target} present in the scene?",
    "Does this picture show {a_target}?",
    "Is there any {target} in the image?",
    "Are there any {targets} in this picture?",
    "Does the scene include {a_target}?",
  ],
  count: [
    "How many {targets} are there?",
    "How many {targets} are in the image?",
    "How many {targets} can you see?",
    "Count the {targets} in the picture.",
    "What is the number of {targets} in this image?",
    "How many {targets} does the picture show?",
    "How many {targets} are visible?",
    "How many {targets} are in this scene?",
  ],
  color: [
    "What color is the {shape}?",
    "What is the color of the {shape}?",
    "Which color does the {shape} have?",
    "What colour is the {shape} in the image?",
    "Tell me the color of the {shape}.",
    "The {shape} is what color?",
    "What color is the {shape} in this scene?",
  ],
  shape: [
    "What shape is the {color} object?",
    "What is the shape of the {color} item?",
    "Which shape is {color}?",
    "What shape is drawn in {color}?",
    "What kind of shape is the {color} one?",
    "Name the shape that is {color}.",
  ],
  position: {
    horizontal: [
      "Is the {ref} on the left or the right side of the image?",
      "Is the {ref} on the left or on the right?",
      "On which side is the {ref}, left or right?",
      "Which side of the picture is the {ref} on, left or right?",
      "Is the {ref} in the left half or the right half of the image?",
    ],
    vertical: [
      "Is the {ref} at the top or the bottom of the image?",
      "Is the {ref} near the top or near the bottom?",
      "Is the {ref} in the top half or the bottom half of the image?",
      "Which part of the picture is the {ref} in, top or bottom?",
    ],
  },
  relation: {
    "left of": ["Is the {a} to the left of the {b}?", "Is the {a} left of the {b}?", "Is the {a} on the left side of the {b}?", "Does the {a} appear to the left of the {b}?"],
    "right of": ["Is the {a} to the right of the {b}?", "Is the {a} right of the {b}?", "Is the {a} on the right side of the {b}?"],
    above: ["Is the {a} above the {b}?", "Is the {a} higher than the {b}?", "Is the {a} higher up than the {b}?"],
    below: ["Is the {a} below the {b}?", "Is the {a} lower than the {b}?", "Is the {a} further down than the {b}?"],
  },
  describe: [
    "Describe the image briefly.",
    "What is in this image?",
    "What do you see in the picture?",
    "List the things in the image.",
    "Give a short description of the scene.",
    "What does this image show?",
    "Summarize the picture in one sentence.",
  ],
};

/** Never in training data. The first exist phrasing is POPE's own. */
export const TEST_PHRASINGS: PhrasingSet = {
  exist: ["Is there {a_target} in the image?", "Can you see {a_target} in this scene?", "Does {a_target} appear in the image?", "Is there {a_target} anywhere in the picture?"],
  count: ["How many {targets} appear in the image?", "Tell me the number of {targets} in the scene.", "How many {targets} are shown here?"],
  color: ["What color is the {shape} in the picture?", "Which color is the {shape} painted in?", "Name the color of the {shape}."],
  shape: ["What shape is the {color} figure?", "Which shape in the image is {color}?", "Identify the shape colored {color}."],
  position: {
    horizontal: ["Is the {ref} located on the left or the right?", "Left or right: where is the {ref}?"],
    vertical: ["Is the {ref} closer to the top or the bottom of the picture?", "Top or bottom: where is the {ref}?"],
  },
  relation: {
    "left of": ["Is the {a} positioned to the left of the {b}?"],
    "right of": ["Is the {a} placed to the right of the {b}?"],
    above: ["Is the {a} located above the {b}?"],
    below: ["Is the {a} situated below the {b}?"],
  },
  describe: ["Briefly tell me what the image contains.", "What can be seen in this picture?", "Write one sentence describing the scene."],
};

/** POPE's question, word for word; a test phrasing. */
export const POPE_TEMPLATE = TEST_PHRASINGS.exist[0];

/**
 * Stage-1 (caption) instructions: LLaVA's brief-description prompts, as LLaVA-Pretrain uses
 * them (Liu et al. 2023, table of instructions for brief image description).
 */
export const CAPTION_PROMPTS: readonly string[] = [
  "Describe the image concisely.",
  "Provide a brief description of the given image.",
  "Offer a succinct explanation of the picture presented.",
  "Summarize the visual content of the image.",
  "Give a short and clear explanation of the subsequent image.",
  "Share a concise interpretation of the image provided.",
  "Present a compact description of the photo's key features.",
  "Relay a brief, clear account of the picture shown.",
  "Render a clear and concise summary of the photo.",
  "Write a terse but informative summary of the picture.",
  "Create a compact narrative representing the image presented.",
];

/** Every template of a phrasing set, flattened. */
export function allTemplates(set: PhrasingSet): string[] {
  return [set.exist, set.count, set.color, set.shape, ...Object.values(set.position), ...Object.values(set.relation), set.describe].flat();
}
