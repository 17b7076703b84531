/**
 * The files every checkpoint of a run carries beside its weights so the folder is a complete
 * model: the tokenizer (vocab.json + merges.txt and the configs naming the pad token) and the
 * preprocessor config for the model's image size. They are prepared once per run in
 * runs/NAME/model-files/ and copied into each checkpoint.
 */
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { NotFoundError } from "../../errors.js";
import { readJson } from "../../io/json.js";
import { packageRoot } from "../../package-root.js";
import { EOT_TOKEN, SOT_TOKEN, loadClipTokenizerFiles } from "../../tokenizers/clip/load.js";

/** CLIP's BPE vocabulary as shipped with the package (assets/clip-tokenizer, MIT, OpenAI). */
export function defaultTokenizerSource(): string {
  return join(packageRoot(), "assets", "clip-tokenizer");
}

const TOKENIZER_FILES = ["vocab.json", "merges.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"];

/**
 * Writes the tokenizer found at `source` (folder or file, any format `CLIPTokenizer` reads) in
 * the Hugging Face layout, so transformers' CLIPTokenizer reads the checkpoints too.
 */
async function writeTokenizer(source: string, dir: string, contextLength: number): Promise<void> {
  const files = await loadClipTokenizerFiles(source);
  const vocab: Record<string, number> = {};
  for (const [token, id] of [...files.vocab].sort((a, b) => a[1] - b[1])) vocab[token] = id;
  writeFileSync(join(dir, "vocab.json"), JSON.stringify(vocab));
  writeFileSync(join(dir, "merges.txt"), `#version: 0.2\n${files.merges.map(([a, b]) => `${a} ${b}`).join("\n")}\n`);
  const special = { bos_token: SOT_TOKEN, eos_token: EOT_TOKEN, pad_token: EOT_TOKEN, unk_token: EOT_TOKEN };
  writeFileSync(join(dir, "special_tokens_map.json"), `${JSON.stringify(special, null, 2)}\n`);
  writeFileSync(
    join(dir, "tokenizer_config.json"),
    `${JSON.stringify({ tokenizer_class: "CLIPTokenizer", model_max_length: contextLength, do_lower_case: true, ...special }, null, 2)}\n`,
  );
}

function writePreprocessor(dir: string, imageSize: number): void {
  const config = {
    image_processor_type: "CLIPImageProcessor",
    do_resize: true,
    size: { shortest_edge: imageSize },
    resample: 3,
    do_center_crop: true,
    crop_size: { height: imageSize, width: imageSize },
    do_rescale: true,
    rescale_factor: 1 / 255,
    do_normalize: true,
    image_mean: [0.48145466, 0.4578275, 0.40821073],
    image_std: [0.26862954, 0.26130258, 0.27577711],
    do_convert_rgb: true,
  };
  writeFileSync(join(dir, "preprocessor_config.json"), `${JSON.stringify(config, null, 2)}\n`);
}

export interface ModelFilesSource {
  /** A pretrained model folder whose tokenizer and preprocessor files are reused as they are. */
  initFolder?: string;
  /** Tokenizer for a model trained from scratch (default: the shipped CLIP vocabulary). */
  tokenizer?: string;
  imageSize: number;
  contextLength: number;
}

/**
 * The pretrained model's preprocessor, kept as it is (its mean, std, resampling) except for the
 * size, which follows the model: a tower rescaled to a larger input reads larger crops.
 */
function copyPreprocessor(file: string, dir: string, imageSize: number): void {
  const config = readJson(file) as { size?: unknown; crop_size?: { height?: number; width?: number } };
  const crop = config.crop_size;
  if (crop && crop.height === imageSize && crop.width === imageSize) {
    copyFileSync(file, join(dir, "preprocessor_config.json"));
    return;
  }
  const resized = { ...config, size: { shortest_edge: imageSize }, crop_size: { height: imageSize, width: imageSize } };
  writeFileSync(join(dir, "preprocessor_config.json"), `${JSON.stringify(resized, null, 2)}\n`);
}

/** Fills `dir` (recreated) with the tokenizer and preprocessor files of the run's model. */
export async function prepareModelFiles(dir: string, source: ModelFilesSource): Promise<void> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const init = source.initFolder;
  const copied = init ? TOKENIZER_FILES.filter((name) => existsSync(join(init, name))) : [];
  const hasTokenizer = copied.includes("tokenizer.json") || (copied.includes("vocab.json") && copied.includes("merges.txt"));
  if (init && hasTokenizer) {
    for (const name of copied) copyFileSync(join(init, name), join(dir, name));
  } else {
    // A model trained from scratch, or a single OpenAI/open_clip weights file: both use
    // CLIP's vocabulary (a .gz beside the file, else the shipped one).
    const tokenizer = source.tokenizer ?? (init && existsSync(join(init, "bpe_simple_vocab_16e6.txt.gz")) ? init : defaultTokenizerSource());
    if (!existsSync(tokenizer)) throw new NotFoundError(`tokenizer not found: ${tokenizer}`);
    await writeTokenizer(tokenizer, dir, source.contextLength);
  }
  if (init && existsSync(join(init, "preprocessor_config.json"))) {
    copyPreprocessor(join(init, "preprocessor_config.json"), dir, source.imageSize);
  } else {
    writePreprocessor(dir, source.imageSize);
  }
}
