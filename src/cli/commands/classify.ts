import type { Command } from "commander";
import { ArgumentError } from "../../errors.js";
import { loadClipParts } from "../../pipelines/load-clip-parts.js";
import { TEMPLATE_SETS, type TemplateSetName } from "../../pipelines/templates.js";
import { DEFAULT_TEMPLATES, zeroShotClassify } from "../../pipelines/zero-shot.js";
import { collect, positiveInt, printJson } from "../options.js";
import { downloadBars } from "../progress/download-bars.js";

interface ClassifyOptions {
  labels?: string;
  label: string[];
  template: string[];
  templates?: string;
  model?: string;
  top?: number;
  json?: boolean;
}

/** Labels from --labels a,b,c and repeated --label (for labels that contain commas). */
export function parseLabels(opts: { labels?: string; label: string[] }): string[] {
  const fromList = (opts.labels ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  const labels = [...fromList, ...opts.label.map((s) => s.trim()).filter(Boolean)];
  if (labels.length === 0) throw new ArgumentError('no labels given: pass --labels "cat,dog,car" (or --label "..." once per label)');
  return labels;
}

function chooseTemplates(opts: ClassifyOptions): readonly string[] {
  if (opts.template.length && opts.templates) throw new ArgumentError("pass either --template or --templates, not both");
  if (opts.template.length) return opts.template;
  if (!opts.templates) return DEFAULT_TEMPLATES;
  const set = TEMPLATE_SETS[opts.templates as TemplateSetName];
  if (!set) throw new ArgumentError(`unknown template set "${opts.templates}" (choose ${Object.keys(TEMPLATE_SETS).join(" or ")})`);
  return set;
}

function bar(score: number, width = 24): string {
  const n = Math.round(score * width);
  return "█".repeat(n) + "·".repeat(width - n);
}

export function registerClassify(program: Command): void {
  program
    .command("classify")
    .description("zero-shot classify images among labels with a CLIP model")
    .argument("<images...>", "image files (JPEG, PNG, WebP, GIF, AVIF, TIFF, SVG)")
    .option("-l, --labels <list>", "comma-separated class names")
    .option("--label <text>", "one class name (repeatable; for names with commas)", collect, [])
    .option("-t, --template <text>", 'prompt template, "{}" marks the label (repeatable: ensembled)', collect, [])
    .option("--templates <set>", "built-in template ensemble: imagenet (80) or simple (7)")
    .option("-m, --model <source>", "Hub id, model folder or weights file (default: the shipped model)")
    .option("-k, --top <K>", "show the best K labels per image", positiveInt("--top"))
    .option("--json", "print JSON: [{image, labels: [{label, score}]}]")
    .addHelpText("after", `
Examples:
  vlm classify cat.jpg --labels cat,dog,car
  vlm classify *.png --labels "red circle,blue square" --templates simple --top 1 --json
  vlm classify photo.jpg --model openai/clip-vit-base-patch32 --labels cat,dog --template "a photo of a {}."`)
    .action(async (images: string[], opts: ClassifyOptions) => {
      const labels = parseLabels(opts);
      const templates = chooseTemplates(opts);
      const clip = await loadClipParts(opts.model, { onProgress: downloadBars() });
      const results = await zeroShotClassify(clip, images, labels, { templates, topK: opts.top });
      const rows = images.map((image, i) => ({ image, labels: results[i] }));
      if (opts.json) return printJson(rows);
      const width = Math.max(...labels.map((l) => l.length));
      for (const row of rows) {
        console.log(row.image);
        for (const { label, score } of row.labels) {
          console.log(`  ${label.padEnd(width)}  ${bar(score)} ${(score * 100).toFixed(1).padStart(5)}%`);
        }
      }
    });
}
