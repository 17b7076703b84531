import type { Command } from "commander";
import cliProgress from "cli-progress";
import { buildIconCorpus } from "../../data/icons/index.js";
import { ArgumentError } from "../../errors.js";
import { nonNegativeInt, positiveInt } from "../options.js";

interface IconOptions {
  out: string;
  packages: string;
  size: number;
  seed: number;
  heldOutStyle: string;
  heldOutNames: number;
  valFraction: string;
}

export function registerData(program: Command): void {
  const data = program.command("data").description("build training data sets");
  data
    .command("build")
    .description("build a data set; `icons`: the emoji and icon corpus from npm packages")
    .argument("<name>", "data set to build: icons")
    .option("--out <dir>", "output folder", "data/icons")
    .option("--packages <dir>", "where the source npm packages are installed", "data/packages")
    .option("--size <px>", "rendered image size", positiveInt("--size"), 64)
    .option("--seed <n>", "seed for captions and splits", nonNegativeInt("--seed"), 0)
    .option("--held-out-style <style>", "art style held out of training entirely", "twitter")
    .option("--held-out-names <n>", "names held out of every style", nonNegativeInt("--held-out-names"), 150)
    .option("--val-fraction <f>", "share of the rest kept for validation", "0.05")
    .action(async (name: string, opts: IconOptions) => {
      if (name !== "icons") throw new ArgumentError(`unknown data set "${name}" (known: icons)`);
      const started = Date.now();
      const bar = new cliProgress.SingleBar({ format: "rendering {bar} {value}/{total} {eta_formatted} left", hideCursor: true }, cliProgress.Presets.shades_classic);
      try {
        await buildIconCorpus({
          out: opts.out, packagesDir: opts.packages, size: opts.size, seed: opts.seed,
          heldOutStyle: opts.heldOutStyle, heldOutNames: opts.heldOutNames, valFraction: Number(opts.valFraction),
          onRendered: (done, total) => (done === 1 ? bar.start(total, done) : bar.update(done)),
        });
      } finally {
        bar.stop();
      }
      console.log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    });
}
