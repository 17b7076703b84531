import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { ArgumentError, ConfigError, NotFoundError } from "../../errors.js";
import { loadSafetensors } from "../../io/index.js";
import { resolveModelPath } from "../../io/hub/index.js";
import { readJson } from "../../models/llama/checkpoint.js";
import { type GenerateOptions, type GenerateResult, generate } from "../../models/llama/generate.js";
import { loadLlama } from "../../models/llama/load.js";
import { loadLlava } from "../../models/llava/load.js";
import type { Tensor } from "../../tensor/index.js";
import { collect, nonNegativeInt, printJson } from "../options.js";
import { parseTemperature } from "./ask.js";

interface GenerateCliOptions {
  model?: string;
  inputIds: string[];
  pixels?: string;
  maxNewTokens: number;
  greedy?: boolean;
  temperature?: number;
  seed?: number;
  ignoreEos?: boolean;
  json?: boolean;
}

const LANGUAGE_MODELS = ["llama", "mistral", "qwen2"];

export function parseIdRow(text: string): number[] {
  const ids = text.split(",").map((s) => s.trim());
  if (ids.length === 0 || ids.some((s) => !/^\d+$/.test(s))) {
    throw new ArgumentError(`--input-ids takes comma-separated non-negative integers such as 1,450,4996; got "${text}"`);
  }
  return ids.map(Number);
}

/** `pixel_values` from a safetensors file (or its only tensor). */
function readPixels(file: string): Tensor {
  if (!existsSync(file)) throw new NotFoundError(`${file}: no such pixels file`);
  const tensors = loadSafetensors(file);
  const pixels = tensors.get("pixel_values") ?? (tensors.size === 1 ? [...tensors.values()][0] : undefined);
  if (!pixels) throw new ArgumentError(`${file}: no "pixel_values" tensor (it holds ${[...tensors.keys()].join(", ")})`);
  if (pixels.ndim !== 4) throw new ArgumentError(`${file}: pixel_values must be [nImages, 3, H, W], got [${pixels.shape}]`);
  return pixels;
}

async function run(opts: GenerateCliOptions): Promise<GenerateResult> {
  if (!opts.model) throw new ArgumentError("--model is required: a LLaVA or Llama-family folder or Hub id");
  if (opts.inputIds.length === 0) throw new ArgumentError("--input-ids is required (repeat it for a batch: one row each)");
  if (opts.greedy && opts.temperature !== undefined) throw new ArgumentError("--greedy and --temperature contradict each other: pass one");
  const rows = opts.inputIds.map(parseIdRow);
  const sampling = opts.temperature !== undefined && opts.temperature > 0;
  const options: GenerateOptions = {
    maxNewTokens: opts.maxNewTokens,
    seed: opts.seed,
    ...(sampling ? { doSample: true, temperature: opts.temperature } : {}),
    ...(opts.ignoreEos ? { eosTokenId: null } : {}),
  };
  const folder = await resolveModelPath(opts.model);
  const configFile = join(folder, "config.json");
  if (!existsSync(configFile)) throw new NotFoundError(`${folder}: no config.json in this model folder`);
  const type = String((readJson(configFile) as { model_type?: unknown }).model_type);
  if (type === "llava") {
    const { model } = await loadLlava(folder);
    return model.generate({ inputIds: rows, pixelValues: opts.pixels ? readPixels(opts.pixels) : undefined }, options);
  }
  if (LANGUAGE_MODELS.includes(type)) {
    if (opts.pixels) throw new ArgumentError(`--pixels needs a LLaVA model; ${folder} is a ${type} language model`);
    return generate((await loadLlama(folder)).model, { inputIds: rows }, options);
  }
  throw new ConfigError(configFile, `model_type "${type}" cannot generate (supported: llava, ${LANGUAGE_MODELS.join(", ")})`);
}

export function registerGenerate(program: Command): void {
  program
    .command("generate")
    .description("generate token ids from token ids (and pixels), for debugging and parity checks")
    .option("-m, --model <source>", "LLaVA or Llama-family model folder or Hub id")
    .option("--input-ids <ids>", "prompt ids, comma-separated (repeat for a batch: one row each)", collect, [])
    .option("--pixels <file>", "pixel_values [nImages, 3, H, W] in a safetensors file (LLaVA)")
    .option("--max-new-tokens <N>", "new tokens per row at most", nonNegativeInt("--max-new-tokens"), 32)
    .option("--greedy", "take the most likely token each step (the default)")
    .option("-t, --temperature <T>", "sample with this temperature instead", parseTemperature)
    .option("-s, --seed <S>", "random seed for sampling", nonNegativeInt("--seed"))
    .option("--ignore-eos", "do not stop at the end-of-sequence token")
    .option("--json", "print JSON: {sequences, tokens, finish_reasons}")
    .addHelpText("after", `
Examples:
  vlm generate --model ./tiny-llava --input-ids 1,5,512,512,7 --pixels pixels.safetensors --max-new-tokens 10 --greedy --json
  vlm generate --model TinyLlama/TinyLlama-1.1B-Chat-v1.0 --input-ids 1,450,4996 --input-ids 1,15043`)
    .action(async (opts: GenerateCliOptions) => {
      const result = await run(opts);
      if (opts.json) return printJson({ sequences: result.sequences, tokens: result.tokens, finish_reasons: result.finishReasons });
      for (const tokens of result.tokens) console.log(tokens.join(","));
    });
}
