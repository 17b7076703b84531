import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ArgumentError } from "../../errors.js";
import { MAX_LOGIT_SCALE } from "../../models/clip/loss.js";
import { CLIPModel } from "../../models/clip/model.js";
import { loadClipParts } from "../../pipelines/load-clip-parts.js";
import type { Tensor } from "../../tensor/index.js";
import { listCheckpoints } from "./checkpoint.js";
import type { MetricRow } from "./metrics.js";
import { resolveModelConfig } from "./presets.js";
import { buildOptimizer } from "./setup.js";
import { writeShapesDataset } from "./shapes.js";
import { type TrainClipResult, clampLogitScale, trainClip } from "./trainer.js";

const scratch = mkdtempSync(join(tmpdir(), "vlm-train-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

const quiet = { progress: false, workers: 1 } as const;

function rows(runDir: string): MetricRow[] {
  return readFileSync(join(runDir, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as MetricRow);
}

function weights(model: CLIPModel): Map<string, Float32Array> {
  return new Map([...model.stateDict()].map(([k, t]) => [k, (t as Tensor).f32().slice()]));
}

describe("training CLIP on coloured shapes", () => {
  let manifest: string;
  let run: TrainClipResult;
  const losses: number[] = [];

  before(async () => {
    manifest = await writeShapesDataset(join(scratch, "shapes"), { count: 48, seed: 1 });
    run = await trainClip(
      {
        data: manifest, split: "train", evalSplit: "val", modelConfig: "tiny", out: join(scratch, "run"), ...quiet,
        batchSize: 12, epochs: 12, lr: 2e-3, warmup: 3, saveEvery: 5, keep: 2, logEvery: 3,
      },
      { onStep: (_, loss) => losses.push(loss) },
    );
  });

  test("the contrastive loss falls", () => {
    assert.equal(run.steps, 36); // 36 training rows / 12 per batch x 12 epochs
    assert.equal(losses.length, 36);
    const first = losses[0];
    const last = losses.slice(-6).reduce((a, b) => a + b, 0) / 6;
    assert.ok(Math.abs(first - Math.log(12)) < 0.3, `an untrained model is near chance, ln 12: ${first}`);
    assert.ok(last < 0.6 * first, `mean loss of the last 6 steps ${last} vs first ${first}`);
  });

  test("the held-out evaluation runs every epoch, with zero-shot accuracy over the class names", () => {
    const evals = rows(run.runDir).filter((r) => r.type === "eval");
    assert.deepEqual(evals.map((r) => r.epoch), [...Array(12).keys()]);
    for (const e of evals) {
      assert.equal(e.images, 12);
      assert.ok(e.top1! >= 0 && e.top1! <= 1 && e.top5! >= e.top1!);
      assert.ok(e.textToImageR10 >= e.textToImageR5 && e.textToImageR5 >= e.textToImageR1);
    }
    assert.ok(run.lastEval!.top5! > 5 / 12, `top-5 above chance after training: ${run.lastEval!.top5}`);
  });

  test("metrics, curves and the run record are written beside the checkpoints", () => {
    const train = rows(run.runDir).filter((r) => r.type === "train");
    assert.deepEqual(train.map((r) => r.step), [...Array(12).keys()].map((i) => 3 * (i + 1)));
    for (const r of train) {
      assert.ok(r.lr >= 0 && r.imagesPerSecond > 0 && Math.abs(r.temperature * r.logitScale - 1) < 1e-9);
    }
    for (const f of ["curves.png", "curves.svg", "curves.html", "run.json"]) assert.ok(existsSync(join(run.runDir, f)), f);
  });

  test("only the last K checkpoints are kept, the final one included", () => {
    const kept = listCheckpoints(join(run.runDir, "checkpoints")).map((c) => c.step);
    assert.deepEqual(kept, [35, 36]);
    assert.deepEqual(readdirSync(join(run.runDir, "checkpoints")).sort(), ["step-000035", "step-000036"], "no temp folders left");
  });

  test("a checkpoint is a complete model folder that CLIPModel.fromPretrained and loadClipParts read", async () => {
    const dir = join(run.runDir, "checkpoints", "step-000036");
    for (const f of ["model.safetensors", "config.json", "vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json", "preprocessor_config.json", "optimizer.safetensors", "trainer_state.json"]) {
      assert.ok(existsSync(join(dir, f)), f);
    }
    const model = await CLIPModel.fromPretrained(dir);
    assert.deepEqual(model.config, resolveModelConfig("tiny"));
    const parts = await loadClipParts(run.finalDir);
    assert.equal(parts.processor.config.cropSize.height, 32);
    assert.deepEqual(parts.tokenizer.tokenize(["a red circle"], { contextLength: 16 }).inputIds[0].slice(0, 5), [49406, 320, 736, 7117, 49407]);
    // final/ holds the same weights as the last checkpoint
    const a = weights(model);
    const b = weights(parts.model);
    for (const [k, v] of a) assert.deepEqual(b.get(k), v, k);
  });

  test("the learned temperature stays within [0, ln 100]", async () => {
    const model = await CLIPModel.fromPretrained(run.finalDir);
    const t = model.logit_scale.item();
    assert.ok(t >= 0 && t <= Math.fround(MAX_LOGIT_SCALE), String(t));
  });

  test("--freeze vision leaves the image tower bit for bit; --train projections leaves both towers", async () => {
    const before = weights(await CLIPModel.fromPretrained(run.finalDir));
    const frozen = await trainClip({ data: manifest, split: "train", init: run.finalDir, freeze: "vision", out: join(scratch, "frozen"), ...quiet, batchSize: 12, steps: 2, lr: 1e-3 });
    const afterFreeze = weights(await CLIPModel.fromPretrained(frozen.finalDir));
    const proj = await trainClip({ data: manifest, split: "train", init: run.finalDir, train: "projections", out: join(scratch, "proj"), ...quiet, batchSize: 12, steps: 2, lr: 1e-3 });
    const afterProj = weights(await CLIPModel.fromPretrained(proj.finalDir));
    const same = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
    for (const [k, v] of before) {
      const vision = k.startsWith("vision_model.");
      const text = k.startsWith("text_model.");
      assert.equal(same(v, afterFreeze.get(k)!), vision, `${k} after --freeze vision`);
      if (vision || text) assert.ok(same(v, afterProj.get(k)!), `${k} after --train projections`);
    }
    for (const k of ["visual_projection.weight", "text_projection.weight"]) assert.ok(!same(before.get(k)!, afterProj.get(k)!), k);
    // a fine-tune keeps the pretrained folder's tokenizer and preprocessor files
    assert.ok(readFileSync(join(frozen.finalDir, "vocab.json")).equals(readFileSync(join(run.finalDir, "vocab.json"))));
  });

  test("--label-positives takes its classes from --label-key: one class for all makes every pair a positive", async () => {
    // Every training row has split "train": as the label, it puts the whole batch in one class,
    // so the target is uniform and the trained model's sharp diagonal now costs instead of pays.
    const firstLoss = async (labelPositives: boolean): Promise<number> => {
      const losses: number[] = [];
      await trainClip(
        { data: manifest, split: "train", init: run.finalDir, labelPositives, labelKey: "split", out: join(scratch, `positives-${labelPositives}`), ...quiet, batchSize: 12, steps: 1, lr: 1e-9 },
        { onStep: (_, loss) => losses.push(loss) },
      );
      return losses[0];
    };
    const plain = await firstLoss(false);
    const oneClass = await firstLoss(true);
    assert.ok(oneClass > plain + 0.3, `same batch, same weights: ${oneClass} with one class vs ${plain} with pairs only`);
    await assert.rejects(
      trainClip({ data: manifest, split: "train", modelConfig: "tiny", labelPositives: true, labelKey: "colour", out: join(scratch, "no-label"), ...quiet, batchSize: 12, steps: 1 }),
      /colour/,
    );
  });

  test("a manifest with corrupt, truncated, non-image and missing files trains to the end", async () => {
    const dir = join(scratch, "shapes");
    const png = readFileSync(join(dir, "images", "0000-red-circle.png"));
    writeFileSync(join(dir, "truncated.png"), png.subarray(0, png.length >> 1));
    writeFileSync(join(dir, "not-an-image.png"), "hello, I am text");
    writeFileSync(join(dir, "garbage.jpg"), Buffer.from([0xff, 0xd8, 0xff, 0x00, 1, 2, 3, 4, 5]));
    const bad = ["truncated.png", "not-an-image.png", "garbage.jpg", "missing.png"].map((image) => JSON.stringify({ image, caption: "a broken file", name: "broken", split: "train" }));
    const corrupt = join(dir, "corrupt.jsonl");
    copyFileSync(manifest, corrupt);
    writeFileSync(corrupt, `${readFileSync(manifest, "utf8")}${bad.join("\n")}\n`);
    const r = await trainClip({ data: corrupt, split: "train", modelConfig: "tiny", out: join(scratch, "corrupt"), ...quiet, batchSize: 8, epochs: 2, logEvery: 1 });
    // 40 rows / 8 = 5 steps per epoch planned, 10 in all; the 36 good rows fill 4 batches an
    // epoch, so the planned steps are made up from a third epoch (the schedule runs its course).
    assert.equal(r.steps, 10);
    assert.ok(r.skipped >= 8 && r.skipped <= 12, `4 bad files skipped in each epoch read: ${r.skipped}`);
    const last = rows(r.runDir).filter((x) => x.type === "train").at(-1)!;
    assert.equal(last.type === "train" && last.skipped, r.skipped, "the skipped count is in the metrics log");
    assert.ok(existsSync(join(r.finalDir, "model.safetensors")));
  });
});

describe("trainer pieces", () => {
  test("logit_scale is clamped into [0, ln 100] in place", () => {
    const model = new CLIPModel(resolveModelConfig("tiny"));
    const data = model.logit_scale.f32();
    data[0] = 7;
    clampLogitScale(model);
    assert.equal(model.logit_scale.item(), Math.fround(Math.log(100)));
    data[0] = -0.5;
    clampLogitScale(model);
    assert.equal(model.logit_scale.item(), 0);
    data[0] = 2;
    clampLogitScale(model);
    assert.equal(model.logit_scale.item(), 2);
  });

  test("no weight decay on biases, norms, embeddings, the class embedding and the temperature", () => {
    const model = new CLIPModel(resolveModelConfig("tiny"));
    const { optimizer } = buildOptimizer(model, { lr: 1e-3, weightDecay: 0.2, betas: [0.9, 0.98], eps: 1e-6, warmupSteps: 1, totalSteps: 10, minLrRatio: 0 });
    const names = new Map([...model.namedParameters()].map(([n, p]) => [p, n]));
    const group = (name: string) => optimizer.paramGroups.find((g) => g.name === name)!;
    const decay = group("decay").params.map((p) => names.get(p)!);
    const none = group("no_decay").params.map((p) => names.get(p)!);
    assert.equal(group("decay").weightDecay, 0.2);
    assert.equal(group("no_decay").weightDecay, 0);
    for (const n of none) {
      assert.match(n, /\.bias$|norm\d?\.weight$|layrnorm\.weight$|layernorm\.weight$|embedding\.weight$|class_embedding$|^logit_scale$/, n);
      assert.ok(!n.endsWith("patch_embedding.weight"), "the patch embedding is a convolution: it decays");
    }
    for (const n of ["logit_scale", "vision_model.embeddings.class_embedding", "vision_model.embeddings.position_embedding.weight", "text_model.embeddings.token_embedding.weight", "text_model.embeddings.position_embedding.weight", "text_model.final_layer_norm.weight"]) {
      assert.ok(none.includes(n), n);
    }
    for (const n of decay) assert.match(n, /(q_proj|k_proj|v_proj|out_proj|fc1|fc2|patch_embedding|projection)\.weight$/, n);
    assert.equal(decay.length + none.length, [...model.namedParameters()].length);
  });

  test("contradictory or unsafe options are named errors", async () => {
    const manifest = await writeShapesDataset(join(scratch, "opts"), { count: 24 });
    await assert.rejects(trainClip({ data: manifest, init: "x", modelConfig: "tiny", out: join(scratch, "o1") }), (e) => e instanceof ArgumentError && /--init .* --model-config/.test(e.message));
    await assert.rejects(trainClip({ data: manifest, modelConfig: "huge", batchSize: 8, out: join(scratch, "o2") }), (e) => e instanceof ArgumentError && /unknown model config "huge"/.test(e.message));
    await assert.rejects(trainClip({ data: manifest, out: join(scratch, "o3"), resume: true }), (e) => e instanceof ArgumentError && /no complete checkpoint/.test(e.message));
    await assert.rejects(trainClip({ data: manifest, modelConfig: "tiny", batchSize: 64, out: join(scratch, "o4") }), (e) => e instanceof ArgumentError && /24 samples make no optimizer step/.test(e.message));
    await assert.rejects(trainClip({ data: manifest, modelConfig: "tiny", blur: 0.5, blurSigma: [2, 1], out: join(scratch, "o5") }), (e) => e instanceof ArgumentError && /blur sigma must satisfy/.test(e.message));
    const done = await trainClip({ data: manifest, modelConfig: "tiny", batchSize: 8, steps: 1, out: join(scratch, "o5"), ...quiet });
    await assert.rejects(trainClip({ data: manifest, modelConfig: "tiny", batchSize: 8, steps: 1, out: done.runDir, ...quiet }), (e) => e instanceof ArgumentError && /already holds a run/.test(e.message));
    await assert.rejects(trainClip({ data: manifest, modelConfig: "tiny", batchSize: 4, steps: 1, out: done.runDir, resume: true, ...quiet }), (e) => e instanceof ArgumentError && /batchSize: 8 -> 4/.test(e.message));
  });
});
