/**
 * The engine demo: a tiny Vision Transformer trained from scratch on synthetic bar images
 * (src/data/synthetic-bars.ts). Fresh images every step, AdamW with warmup + cosine, gradient
 * clipping, then accuracy on images it never saw.
 */
import { BAR_CLASSES, makeBars } from "../data/synthetic-bars.js";
import { parseViTConfig } from "../models/vit/config.js";
import { ViTForImageClassification } from "../models/vit/model.js";
import { AdamW, LRScheduler, clipGradNorm, cosineWithWarmup, paramGroupsNoDecay } from "../optim/index.js";
import { Generator, argmax, crossEntropy, getBackend, manualSeed, noGrad } from "../tensor/index.js";

export interface ToyStep {
  step: number;
  loss: number;
  imagesPerSecond: number;
}

export interface ToyResult {
  accuracy: number;
  evalSize: number;
  finalLoss: number;
  parameters: number;
  seconds: number;
  backend: string;
}

export interface ToyOptions {
  steps?: number;
  seed?: number;
  batchSize?: number;
  onStep?: (s: ToyStep) => void;
}

const IMAGE = 16;

export async function trainToyViT(options: ToyOptions = {}): Promise<ToyResult> {
  const steps = options.steps ?? 300;
  const batchSize = options.batchSize ?? 32;
  const seed = options.seed ?? 0;
  manualSeed(seed);
  const data = new Generator(seed + 1);
  const model = new ViTForImageClassification(
    parseViTConfig({
      image_size: IMAGE, patch_size: 4, num_channels: 1, hidden_size: 64, intermediate_size: 128,
      num_attention_heads: 4, num_hidden_layers: 2, hidden_act: "gelu", pre_norm: false, num_labels: BAR_CLASSES.length,
    }),
  );
  const opt = new AdamW(paramGroupsNoDecay(model, { weightDecay: 0.05 }), { lr: 3e-3 });
  const schedule = new LRScheduler(opt, cosineWithWarmup({ warmupSteps: Math.ceil(steps * 0.05), totalSteps: steps, minLrRatio: 0.05 }));
  const start = performance.now();
  let loss = NaN;
  for (let step = 1; step <= steps; step++) {
    const batch = makeBars(batchSize, IMAGE, data);
    const l = crossEntropy(model.forward(batch.images), batch.labels);
    opt.zeroGrad();
    l.backward();
    clipGradNorm(model.parameters(), 1.0);
    opt.step();
    schedule.step();
    loss = l.item();
    const seconds = (performance.now() - start) / 1000;
    options.onStep?.({ step, loss, imagesPerSecond: (step * batchSize) / seconds });
    // Let timers (the progress bar's redraw) run between steps.
    await new Promise((resolve) => setImmediate(resolve));
  }
  const seconds = (performance.now() - start) / 1000;
  model.eval();
  const test = makeBars(512, IMAGE, new Generator(seed + 1_000_003));
  const predicted = noGrad(() => argmax(model.forward(test.images), 1));
  let correct = 0;
  for (let i = 0; i < 512; i++) if (predicted.data[i] === test.labels.data[i]) correct++;
  return {
    accuracy: correct / 512, evalSize: 512, finalLoss: loss, parameters: model.numParameters(), seconds, backend: getBackend().name,
  };
}
