/**
 * A complete tiny LLaVA folder for tests: the reference model's weights and config (from
 * ../shared/reference/llava/tiny) plus files a real folder has and the reference lacks, made
 * here: a byte-level BPE tokenizer.json of the model's 600 ids trained on a paragraph (with
 * `<s>` = 1, `</s>` = 2 and `<image>` = 512, the ids its config names) and a
 * preprocessor_config.json for its 64-pixel images.
 */
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { trainByteLevelBpe } from "../../src/tokenizers/train-bpe.js";

const CORPUS = [
  "A photo of a cat sitting on a wooden board next to a window. What is shown in this image?",
  "The picture shows two red circles and a blue square on a white background, drawn with thick lines.",
  "Describe the colours, the shapes and the objects. How many animals are there? Is it day or night?",
  "USER: ASSISTANT: There is a small dog, a green car, a tall tree and some clouds in the sky.",
  "Questions and answers about pictures: the answer is yes, no, one, two, three, left, right, top, bottom.",
  "Machine learning models read images as patches, and language models write text one token at a time.",
  "Zero-shot classification compares an image embedding with the embeddings of labels such as kitchen, beach or forest.",
  "Quick brown foxes jump over lazy dogs; jovial wizards quickly vex the boxing judge with seventeen puzzles.",
  "In 2023 the team measured 1234 images per second, 56.7 percent accuracy and a throughput of 890 tokens.",
  "Bicycles, umbrellas, giraffes and elephants appear in the validation set; keyboards, mice and laptops too.",
  "Please answer briefly. Explain why the sky looks orange at sunset, and whether the street is wet or dry.",
  "Fine-tuning the projector aligns vision features with word embeddings; hallucination benchmarks check it.",
  "Everything here is tiny: vocabulary, hidden size, layers and heads, because tests must run in seconds.",
];

export const TINY_IMAGE_TOKEN_INDEX = 512;

/** The trained tokenizer.json (deterministic: the same corpus gives the same merges). */
export function tinyTokenizerJson(): Record<string, unknown> {
  return trainByteLevelBpe(CORPUS, {
    vocabSize: 600,
    specialTokens: [
      { id: 1, content: "<s>" },
      { id: 2, content: "</s>" },
      { id: TINY_IMAGE_TOKEN_INDEX, content: "<image>" },
    ],
    bosToken: "<s>",
  });
}

/**
 * Writes the folder into `dir` from the reference folder `reference`; `omit` leaves files out
 * (to test what happens without them).
 */
export function writeTinyLlavaFolder(dir: string, reference: string, omit: readonly string[] = []): string {
  mkdirSync(dir, { recursive: true });
  const files: Record<string, () => void> = {
    "config.json": () => copyFileSync(join(reference, "config.json"), join(dir, "config.json")),
    "model.safetensors": () => copyFileSync(join(reference, "model.safetensors"), join(dir, "model.safetensors")),
    "tokenizer.json": () => writeFileSync(join(dir, "tokenizer.json"), JSON.stringify(tinyTokenizerJson())),
    "tokenizer_config.json": () =>
      writeFileSync(join(dir, "tokenizer_config.json"), JSON.stringify({ bos_token: "<s>", eos_token: "</s>", tokenizer_class: "PreTrainedTokenizerFast" })),
    "preprocessor_config.json": () =>
      writeFileSync(join(dir, "preprocessor_config.json"), JSON.stringify({ size: { shortest_edge: 64 }, crop_size: { height: 64, width: 64 } })),
  };
  for (const [name, write] of Object.entries(files)) if (!omit.includes(name)) write();
  return dir;
}
