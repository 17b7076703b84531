import type { Command } from "commander";
import { ArgumentError } from "../../errors.js";
import { embed } from "../../pipelines/embed.js";
import { loadClipParts } from "../../pipelines/load-clip-parts.js";
import { collect, printJson } from "../options.js";
import { downloadBars } from "../progress/download-bars.js";

interface EmbedOptions {
  model?: string;
  image: string[];
  text: string[];
  json?: boolean;
}

export function registerEmbed(program: Command): void {
  program
    .command("embed")
    .description("L2-normalised CLIP embeddings of images and texts")
    .option("-m, --model <source>", "Hub id, model folder or weights file (default: the shipped model)")
    .option("-i, --image <file>", "an image (repeatable)", collect, [])
    .option("-t, --text <text>", "a text (repeatable)", collect, [])
    .option("--json", 'print JSON: {"images": [{image, embedding}], "texts": [{text, embedding}]}')
    .addHelpText("after", `
Examples:
  vlm embed --image cat.jpg --text "a photo of a cat" --json`)
    .action(async (opts: EmbedOptions) => {
      if (opts.image.length === 0 && opts.text.length === 0) throw new ArgumentError("nothing to embed: pass --image <file> and/or --text <text>");
      const clip = await loadClipParts(opts.model, { onProgress: downloadBars() });
      const { images, texts } = await embed(clip, { images: opts.image, texts: opts.text });
      if (opts.json) {
        return printJson({
          images: opts.image.map((image, i) => ({ image, embedding: images[i] })),
          texts: opts.text.map((text, i) => ({ text, embedding: texts[i] })),
        });
      }
      const show = (name: string, v: number[]) =>
        console.log(`${name}  [${v.length}]  ${v.slice(0, 6).map((x) => x.toFixed(4)).join(" ")} ...`);
      opts.image.forEach((image, i) => show(image, images[i]));
      opts.text.forEach((text, i) => show(JSON.stringify(text), texts[i]));
    });
}
