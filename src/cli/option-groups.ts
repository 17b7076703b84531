/** Options that several commands take, declared once so they read and parse the same everywhere. */
import type { Command } from "commander";
import type { OpenDataOptions } from "../data/open.js";
import type { AskOptions } from "../pipelines/ask.js";
import { collect, nonNegativeInt, oneOrMany, parseTemperature, positiveInt } from "./options.js";

/** What `addDataOptions` adds. */
export interface DataFlags {
  data: string;
  split?: string;
  splitKey: string;
  imageKey?: string;
  captionKey: string[];
  workers?: number;
}

/**
 * Where image-caption data is and how to read it: the source, the manifest's split and
 * columns, the decoding threads. `role` and `captions` say what the data is for and what a
 * repeated --caption-key means to this command.
 */
export function addDataOptions(command: Command, use: { role: "training" | "evaluation"; splitExample: string; captions: string }): Command {
  const using = use.role === "training" ? "train on" : "use";
  return command
    .requiredOption("-d, --data <source>", `${use.role} data: manifest (.csv/.tsv/.jsonl), folder of images with .txt captions, or WebDataset shards`)
    .option("--split <value>", `${using} the manifest rows whose split field equals this (e.g. ${use.splitExample})`)
    .option("--split-key <field>", "the manifest field holding the split", "split")
    .option("--image-key <field>", "manifest column with the image path (default: filepath, image, ...)")
    .option("--caption-key <field>", `manifest column with the caption (repeatable: ${use.captions}; default: title, caption, text)`, collect, [])
    .option("--workers <n>", "image decoding threads", positiveInt("--workers"));
}

/** The data flags as `openImageTextData` options (the split as a row filter). */
export function dataOpenOptions(flags: DataFlags): OpenDataOptions {
  return {
    imageKey: flags.imageKey,
    captionKey: oneOrMany(flags.captionKey),
    where: flags.split ? { [flags.splitKey]: flags.split } : undefined,
  };
}

/** What `addAnswerOptions` adds. */
export interface AnswerFlags {
  model?: string;
  maxTokens: number;
  temperature?: number;
  seed?: number;
  padToSquare?: boolean;
}

/** The answer flags as the ask task's options. */
export function answerOptions(flags: AnswerFlags): AskOptions {
  return { maxTokens: flags.maxTokens, temperature: flags.temperature, seed: flags.seed };
}

/** The model and sampling options of the commands that answer about images (ask, chat). */
export function addAnswerOptions(command: Command): Command {
  return command
    .option("-m, --model <source>", "LLaVA Hub id or model folder (required: none is shipped)")
    .option("-n, --max-tokens <N>", "answer length limit in tokens", positiveInt("--max-tokens"), 256)
    .option("-t, --temperature <T>", "sample with this temperature (0 or unset: greedy)", parseTemperature)
    .option("-s, --seed <S>", "random seed for sampling", nonNegativeInt("--seed"))
    .option("--pad-to-square", "pad the image to a square instead of cropping (the original LLaVA's image_aspect_ratio pad)");
}
