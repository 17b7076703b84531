import { existsSync } from "node:fs";
import type { Command } from "commander";
import { ArgumentError, ConfigError, NotFoundError } from "../../errors.js";
import { loadSafetensors, openModelSource } from "../../io/index.js";
import { AutoModel } from "../../models/auto.js";
import { type GenerateOptions, type GenerateResult, generate } from "../../models/llama/generate.js";
import { LlamaForCausalLM } from "../../models/llama/model.js";
import { LlavaForConditionalGeneration } from "../../models/llava/model.js";
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
  const source = await openModelSource(opts.model);
  const model = AutoModel.fromSource(source);
  if (model instanceof LlavaForConditionalGeneration) {
    return model.generate({ inputIds: rows, pixelValues: opts.pixels ? readPixels(opts.pixels) : undefined }, options);
  }
  if (model instanceof LlamaForCausalLM) {
    if (opts.pixels) throw new ArgumentError(`--pixels needs a LLaVA model; ${source.folder} is a ${model.config.model_type} language model`);
    return generate(model, { inputIds: rows }, options);
  }
  const supported = [LlavaForConditionalGeneration, LlamaForCausalLM].flatMap((m) => m.modelTypes).join(", ");
  throw new ConfigError(source.configFile, `a ${model.constructor.name} cannot generate (supported model_type: ${supported})`);
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
