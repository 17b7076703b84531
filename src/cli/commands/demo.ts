import type { Command } from "commander";
import { SingleBar } from "cli-progress";
import { trainToyViT } from "../../train/toy-vit.js";
import { nonNegativeInt, positiveInt } from "../options.js";

export function registerDemo(program: Command): void {
  program
    .command("demo")
    .description("train a tiny Vision Transformer from scratch on a toy task (bar orientation), to see the engine work")
    .option("--steps <n>", "training steps", positiveInt("--steps"), 300)
    .option("--seed <n>", "random seed", nonNegativeInt("--seed"), 0)
    .action(async (opts: { steps: number; seed: number }) => {
      const bar = new SingleBar({
        format: "training  {bar} {percentage}% | step {value}/{total} | loss {loss} | {rate} img/s | ETA {eta_formatted}",
        hideCursor: true,
        clearOnComplete: false,
      });
      console.log("A tiny ViT (patch 4, width 64, 2 blocks) learns which way a bar points: horizontal, vertical, diagonal, anti-diagonal.");
      bar.start(opts.steps, 0, { loss: "-", rate: "-" });
      const result = await trainToyViT({
        steps: opts.steps,
        seed: opts.seed,
        onStep: (s) => bar.update(s.step, { loss: s.loss.toFixed(3), rate: s.imagesPerSecond.toFixed(0) }),
      });
      bar.stop();
      console.log(`backend ${result.backend}, ${result.parameters.toLocaleString()} parameters, ${result.seconds.toFixed(1)} s`);
      console.log(`held-out accuracy: ${(result.accuracy * 100).toFixed(1)}% on ${result.evalSize} new images (chance 25%)`);
    });
}
