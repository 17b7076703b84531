import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { SingleBar } from "cli-progress";
import { buildIconCorpus } from "../../data/icons/index.js";
import { buildScenes, DEFAULT_SCENE_COUNT, type SceneBuildSummary } from "../../data/scenes/index.js";
import { ArgumentError } from "../../errors.js";
import { nonNegativeInt, positiveInt } from "../options.js";

interface DataOptions {
  out?: string;
  packages: string;
  seed: number;
  heldOutStyle: string;
  // icons
  size: number;
  heldOutNames: number;
  valFraction: string;
  // scenes
  count: number;
  evalCount?: number;
  cooccur: number;
  heldOutPairs: number;
  styles?: string;
  concurrency: number;
}

function probability(name: string): (value: string) => number {
  return (value: string) => {
    const p = Number(value);
    if (!(p >= 0 && p <= 1)) throw new InvalidArgumentError(`${name} must be a number in [0, 1], got "${value}"`);
    return p;
  };
}

function printSceneSummary(s: SceneBuildSummary, out: string): void {
  for (const [split, x] of Object.entries(s.splits)) {
    const bias = Number.isNaN(x.cooccur.mean) ? "" : `; cooccur partner present ${(x.cooccur.mean * 100).toFixed(0)}% (other pairs ${(x.cooccur.otherPairsMean * 100).toFixed(0)}%)`;
    console.log(`${split.padEnd(12)} ${String(x.scenes).padStart(6)} scenes${bias}`);
  }
  console.log(`held-out pairs: ${s.heldOutPairs.map((p) => p.join("+")).join(", ")}; training styles: ${s.trainingStyles.join(", ")}`);
  console.log(`instruct: ${s.instruct.records} records, ${s.instruct.turns} answers; written to ${out}`);
}

export function registerData(program: Command): void {
  const data = program.command("data").description("build training data sets");
  data
    .command("build")
    .description("build a data set: `icons`, the emoji and icon corpus from npm packages; `scenes`, synthetic scenes with questions in LLaVA's formats")
    .argument("<name>", "data set to build: icons | scenes")
    .option("--out <dir>", "output folder (default data/icons or data/scenes)")
    .option("--packages <dir>", "where the source npm packages are installed", "data/packages")
    .option("--seed <n>", "seed for everything drawn at random", nonNegativeInt("--seed"), 0)
    .option("--held-out-style <style>", "art style held out of training entirely", "twitter")
    .option("--size <px>", "icons: rendered image size", positiveInt("--size"), 64)
    .option("--held-out-names <n>", "icons: names held out of every style", nonNegativeInt("--held-out-names"), 150)
    .option("--val-fraction <f>", "icons: share of the rest kept for validation", "0.05")
    .option("--count <n>", "scenes: training scenes", positiveInt("--count"), DEFAULT_SCENE_COUNT)
    .option("--eval-count <n>", "scenes: scenes in val and in each test split (default count/40, 10 to 1000)", positiveInt("--eval-count"))
    .option("--cooccur <p>", "scenes: chance of adding a cooccur partner to a scene holding its mate; 0 = no bias", probability("--cooccur"), 0.65)
    .option("--held-out-pairs <n>", "scenes: object pairs never together in training", nonNegativeInt("--held-out-pairs"), 6)
    .option("--styles <ids>", "scenes: emoji styles to train on, comma-separated (default every style drawing all objects)")
    .option("--concurrency <n>", "scenes: images rendered at once", positiveInt("--concurrency"), 4)
    .addHelpText("after", "\nExamples:\n  vlm data build icons\n  vlm data build scenes --count 40000 --seed 0\n  vlm data build scenes --cooccur 0 --out data/scenes-unbiased")
    .action(async (name: string, opts: DataOptions) => {
      const started = Date.now();
      if (name === "icons") {
        const bar = process.stderr.isTTY ? new SingleBar({ format: "rendering {bar} {value}/{total} {eta_formatted} left", hideCursor: true }) : null;
        try {
          await buildIconCorpus({
            out: opts.out ?? "data/icons", packagesDir: opts.packages, size: opts.size, seed: opts.seed,
            heldOutStyle: opts.heldOutStyle, heldOutNames: opts.heldOutNames, valFraction: Number(opts.valFraction),
            onRendered: (done, total) => (done === 1 ? bar?.start(total, done) : bar?.update(done)),
          });
        } finally {
          bar?.stop();
        }
      } else if (name === "scenes") {
        const out = opts.out ?? "data/scenes";
        const bar = process.stderr.isTTY ? new SingleBar({ format: "rendering {bar} {value}/{total} | {split} | ETA {eta_formatted}", hideCursor: true }) : null;
        const summary = await buildScenes({
          out, packagesDir: opts.packages, count: opts.count, evalCount: opts.evalCount, seed: opts.seed,
          cooccur: opts.cooccur, heldOutPairs: opts.heldOutPairs, heldOutStyle: opts.heldOutStyle, concurrency: opts.concurrency,
          styles: opts.styles?.split(",").map((s) => s.trim()).filter((s) => s !== ""),
          log: (line) => console.log(line),
          onProgress: (p) => {
            if (bar && p.done === 1) bar.start(p.total, 0, { split: p.split });
            bar?.update(p.done, { split: p.split });
          },
        });
        bar?.stop();
        printSceneSummary(summary, out);
      } else {
        throw new ArgumentError(`unknown data set "${name}" (known: icons, scenes)`);
      }
      console.log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    });
}
