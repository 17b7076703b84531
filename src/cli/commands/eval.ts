import { existsSync, readFileSync } from "node:fs";
import type { Command } from "commander";
import { ArgumentError, NotFoundError } from "../../errors.js";
import { openImageTextData } from "../../data/open.js";
import { formatRetrievalTable, formatTemplateTable, formatZeroShotTable } from "../../eval/run-tables.js";
import { DEFAULT_DOMAIN_TEMPLATE, retrievalEval, templateSensitivity, zeroShotEval } from "../../eval/run.js";
import { loadClipParts } from "../../pipelines/load-clip-parts.js";
import { TEMPLATE_SETS, type TemplateSetName } from "../../pipelines/templates.js";
import { DEFAULT_TEMPLATES } from "../../pipelines/zero-shot.js";
import { collect, oneOrMany, positiveInt } from "../options.js";
import { registerVqaEval } from "./eval-vqa.js";
import { writeJson } from "../json-output.js";

interface EvalFlags {
  model?: string;
  data: string;
  split?: string;
  splitKey: string;
  imageKey?: string;
  captionKey: string[];
  labelKey: string;
  templates?: string;
  domainTemplate: string;
  limit?: number;
  batchSize?: number;
  workers?: number;
  json?: string;
}

/** A named template set, or a file with one template per line. */
export function readTemplates(spec: string): { name: string; templates: readonly string[] } {
  if (Object.hasOwn(TEMPLATE_SETS, spec)) return { name: spec, templates: TEMPLATE_SETS[spec as TemplateSetName] };
  if (!existsSync(spec)) throw new NotFoundError(`--templates: "${spec}" is neither a template set (${Object.keys(TEMPLATE_SETS).join(", ")}) nor a file`);
  const templates = readFileSync(spec, "utf8").split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
  if (templates.length === 0) throw new ArgumentError(`--templates: ${spec} has no templates (one per line, "{}" marks the label)`);
  return { name: spec, templates };
}

async function open(flags: EvalFlags, needsLabels: boolean) {
  const parts = await loadClipParts(flags.model);
  const data = await openImageTextData(flags.data, {
    imageKey: flags.imageKey,
    captionKey: oneOrMany(flags.captionKey),
    labelKey: needsLabels ? flags.labelKey : undefined,
    where: flags.split ? { [flags.splitKey]: flags.split } : undefined,
  });
  const options = { limit: flags.limit, batchSize: flags.batchSize, ...(flags.workers && { workers: flags.workers }) };
  return { parts, data, options };
}

function common(cmd: Command): Command {
  return cmd
    .requiredOption("-d, --data <source>", "evaluation data: manifest (.csv/.tsv/.jsonl), image folder with .txt captions, or WebDataset shards")
    .option("-m, --model <source>", "Hub id, model folder (e.g. runs/NAME/final) or weights file (default: the shipped model)")
    .option("--split <value>", "use the manifest rows whose split field equals this (e.g. test-style)")
    .option("--split-key <field>", "the manifest field holding the split", "split")
    .option("--image-key <field>", "manifest column with the image path (default: filepath, image, ...)")
    .option("--caption-key <field>", "manifest column with the caption (repeatable: each counts as a caption of its image; default: title, caption, text)", collect, [])
    .option("--limit <n>", "evaluate on the first N rows only", positiveInt("--limit"))
    .option("--batch-size <n>", "images per forward pass", positiveInt("--batch-size"))
    .option("--workers <n>", "image decoding threads", positiveInt("--workers"))
    .option("--json <file>", "also write the full results as JSON");
}

export function registerEval(program: Command): void {
  const evalCmd = program.command("eval").description("evaluate CLIP (zero-shot, retrieval, prompt sensitivity) and LLaVA models (answer benchmark questions, score them)");

  common(evalCmd.command("zeroshot").description("zero-shot classification: top-1, top-5 and per-class accuracy over the class names in the data"))
    .option("--label-key <field>", "manifest field with each image's class name", "name")
    .option("--templates <set|file>", "prompt ensemble: imagenet (80), simple (7), or a file with one template per line (default: \"a photo of a {}.\")")
    .addHelpText("after", `
Examples:
  vlm eval zeroshot --model runs/icons/final --data data/icons/manifest.jsonl --split test-style --templates imagenet
  vlm eval zeroshot --model openai/clip-vit-base-patch32 --data val.csv --label-key class --json zeroshot.json`)
    .action(async (flags: EvalFlags) => {
      const templates = flags.templates ? readTemplates(flags.templates).templates : DEFAULT_TEMPLATES;
      const { parts, data, options } = await open(flags, true);
      const r = await zeroShotEval(parts, data, { ...options, templates });
      console.log(formatZeroShotTable(r));
      writeJson(flags.json, r);
    });

  common(evalCmd.command("retrieval").description("image->text and text->image retrieval: R@1/5/10, mean and median rank"))
    .addHelpText("after", `
Images that share a path are one image with several captions (COCO-style); any of them counts as a hit.

Examples:
  vlm eval retrieval --model runs/icons/final --data data/icons/manifest.jsonl --split val
  vlm eval retrieval --model openai/clip-vit-base-patch32 --data coco-val.jsonl --json retrieval.json`)
    .action(async (flags: EvalFlags) => {
      const { parts, data, options } = await open(flags, false);
      const r = await retrievalEval(parts, data, options);
      console.log(formatRetrievalTable(r));
      writeJson(flags.json, r);
    });

  common(evalCmd.command("templates").description("prompt sensitivity: zero-shot accuracy with the bare label, \"a photo of a {}.\", a domain prompt and an ensemble"))
    .option("--label-key <field>", "manifest field with each image's class name", "name")
    .option("--domain-template <text>", "a prompt describing the data's domain", DEFAULT_DOMAIN_TEMPLATE)
    .option("--templates <set|file>", "the ensemble row: imagenet (80), simple (7) or a file", "imagenet")
    .addHelpText("after", `
Examples:
  vlm eval templates --model openai/clip-vit-base-patch32 --data data/icons/manifest.jsonl --split test-style
  vlm eval templates --model runs/icons/final --data data/icons/manifest.jsonl --split val --domain-template "an icon of a {}."`)
    .action(async (flags: EvalFlags) => {
      const ensemble = readTemplates(flags.templates ?? "imagenet");
      const { parts, data, options } = await open(flags, true);
      const rows = await templateSensitivity(parts, data, { ...options, domainTemplate: flags.domainTemplate, ensemble });
      console.log(formatTemplateTable(rows));
      writeJson(flags.json, rows);
    });

  registerVqaEval(evalCmd);
}
