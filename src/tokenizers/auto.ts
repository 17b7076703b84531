/**
 * AutoTokenizer: the tokenizer a model folder describes. CLIP folders get our exact port of
 * OpenAI's tokenizer (its lower-casing and `</w>` words are not in tokenizer.json's terms the
 * same way); everything else is read from `tokenizer.json` + `tokenizer_config.json`.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { FileFormatError, NotFoundError } from "../errors.js";
import { type ResolveOptions, resolveModelPath } from "../io/hub/index.js";
import { readJsonObject } from "../io/json.js";
import { CLIPTokenizer } from "./clip/index.js";
import { PreTrainedTokenizer } from "./pretrained.js";

export type AnyTokenizer = PreTrainedTokenizer | CLIPTokenizer;

const CLIP_ONLY_FILES = ["vocab.json + merges.txt", "bpe_simple_vocab_16e6.txt.gz"];

export const AutoTokenizer = {
  /**
   * From a model folder, a `tokenizer.json` path or a Hub id.
   *
   * @example
   * const tok = await AutoTokenizer.fromPretrained("llava-hf/llava-1.5-7b-hf"); // PreTrainedTokenizer
   * const clip = await AutoTokenizer.fromPretrained("openai/clip-vit-base-patch32"); // CLIPTokenizer
   */
  async fromPretrained(source: string, options: ResolveOptions = {}): Promise<AnyTokenizer> {
    const folder = existsSync(source) && statSync(source).isFile() ? dirname(source) : await resolveModelPath(source, options);
    if (isClipFolder(folder)) return CLIPTokenizer.fromPretrained(folder);
    return loadPreTrainedTokenizer(folder);
  },
};

/**
 * The tokenizer.json tokenizer of a local folder; a missing tokenizer.json is a NotFoundError
 * naming the folder and the files looked for.
 */
export function loadPreTrainedTokenizer(folder: string): PreTrainedTokenizer {
  const file = join(folder, "tokenizer.json");
  if (!existsSync(file)) {
    const sentencePiece = existsSync(join(folder, "tokenizer.model"))
      ? "; tokenizer.model (a SentencePiece model) is there, but only its tokenizer.json conversion is read: save one with transformers' tokenizer.save_pretrained()"
      : "";
    throw new NotFoundError(
      `${folder}: no tokenizer files (looked for tokenizer.json with tokenizer_config.json; ${CLIP_ONLY_FILES.join(" or ")} for CLIP)${sentencePiece}`,
    );
  }
  const configFile = join(folder, "tokenizer_config.json");
  return new PreTrainedTokenizer({
    tokenizerJson: readJsonObject(file),
    config: existsSync(configFile) ? readJsonObject(configFile) : {},
    chatTemplate: separateChatTemplate(folder),
    origin: folder,
  });
}

/**
 * A chat template stored beside the tokenizer config (newer folders, and processors such as
 * LLaVA's, keep it in chat_template.jinja or chat_template.json); it wins over the config's.
 */
export function separateChatTemplate(folder: string): string | null {
  const jinja = join(folder, "chat_template.jinja");
  if (existsSync(jinja)) return readFileSync(jinja, "utf8");
  const json = join(folder, "chat_template.json");
  if (!existsSync(json)) return null;
  const template = readJsonObject(json).chat_template;
  if (typeof template !== "string") throw new FileFormatError(json, `"chat_template" must be a string, got ${JSON.stringify(template)?.slice(0, 60)}`);
  return template;
}

function isClipFolder(folder: string): boolean {
  const config = join(folder, "tokenizer_config.json");
  if (existsSync(config)) {
    const cls = readJsonObject(config).tokenizer_class;
    if (typeof cls === "string") return cls.startsWith("CLIPTokenizer");
  }
  const model = join(folder, "config.json");
  if (existsSync(model)) {
    const type = readJsonObject(model).model_type;
    if (type === "clip" || type === "clip_text_model") return true;
  }
  return !existsSync(join(folder, "tokenizer.json")) && existsSync(join(folder, "bpe_simple_vocab_16e6.txt.gz"));
}

