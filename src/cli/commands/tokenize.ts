import type { Command } from "commander";
import { CLIPTokenizer } from "../../tokenizers/clip/index.js";
import { clipModelOrDefault } from "../../pipelines/default-model.js";
import { resolveModelPath } from "../../io/hub/index.js";
import { printJson } from "../options.js";

export function registerTokenize(program: Command): void {
  program
    .command("tokenize")
    .description("token ids of texts as the model's CLIP tokenizer makes them (for debugging prompts)")
    .argument("<texts...>", "texts to tokenize")
    .option("-m, --model <source>", "Hub id, model folder, or tokenizer file (default: the shipped model)")
    .option("--json", "print JSON: [{text, ids, tokens}]")
    .action(async (texts: string[], opts: { model?: string; json?: boolean }) => {
      const tokenizer = await CLIPTokenizer.fromPretrained(await resolveModelPath(clipModelOrDefault(opts.model)));
      const { inputIds, attentionMask } = tokenizer.tokenize(texts);
      const result = texts.map((text, i) => ({
        text,
        ids: inputIds[i],
        tokens: tokenizer.convertIdsToTokens(inputIds[i].filter((_, j) => attentionMask[i][j])),
      }));
      if (opts.json) return printJson(result);
      for (const r of result) {
        console.log(JSON.stringify(r.text));
        console.log(`  tokens: ${r.tokens.join(" | ")}`);
        console.log(`  ids:    ${r.ids.join(",")}`);
      }
    });
}
