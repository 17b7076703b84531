/**
 * Checkpoints of a CLIP run: runs/NAME/checkpoints/step-000123/ holds a Hugging Face model
 * folder (model.safetensors, config.json, tokenizer and preprocessor files:
 * `CLIPModel.fromPretrained` and `vlm classify --model` read it as is) plus what resuming needs (optimizer.safetensors,
 * trainer_state.json). A checkpoint is written into a hidden temp folder and renamed into place,
 * so a run killed at any moment leaves only complete checkpoints behind.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { FileFormatError } from "../../errors.js";
import { syncDirectory, writeFileAtomic } from "../../io/atomic.js";
import { readJson } from "../../io/json.js";
import { loadSafetensors, saveSafetensors } from "../../io/index.js";
import type { LoaderPosition } from "../../data/loader.js";
import type { CLIPModel } from "../../models/clip/model.js";
import type { LRSchedulerState, Optimizer, OptimizerStateDict } from "../../optim/index.js";

/** What a resumed run restores, besides the weights and the optimizer moments. */
export interface TrainerState {
  version: 1;
  /** Optimizer steps taken. */
  step: number;
  totalSteps: number;
  /** Where the next micro-batch starts in the loader's order. */
  position: LoaderPosition;
  samplesSeen: number;
  /** Undecodable samples skipped so far (the loader's own counts restart with each process). */
  skipped: number;
  scheduler: LRSchedulerState;
  optimizer: OptimizerStateDict["meta"];
  /** `defaultGenerator.getState()`, with NaN (no spare normal) stored as null. */
  generator: Array<number | null>;
  elapsedSeconds: number;
  /** The options that shape the run's trajectory; a resume must use the same. */
  fingerprint: Record<string, unknown>;
}

export const CHECKPOINT_PREFIX = "step-";
const STEP_DIGITS = 6;

export function checkpointName(step: number): string {
  return `${CHECKPOINT_PREFIX}${String(step).padStart(STEP_DIGITS, "0")}`;
}

export interface CheckpointInfo {
  step: number;
  dir: string;
}

/** Complete checkpoints, oldest first. Temp folders of interrupted writes are not listed. */
export function listCheckpoints(checkpointsDir: string): CheckpointInfo[] {
  if (!existsSync(checkpointsDir)) return [];
  return readdirSync(checkpointsDir)
    .map((name) => ({ name, m: /^step-(\d+)$/.exec(name) }))
    .filter((e) => e.m && existsSync(join(checkpointsDir, e.name, "trainer_state.json")))
    .map((e) => ({ step: Number(e.m![1]), dir: join(checkpointsDir, e.name) }))
    .sort((a, b) => a.step - b.step);
}

/** Removes temp folders left by a process killed while writing a checkpoint. */
export function removeIncompleteCheckpoints(checkpointsDir: string): void {
  if (!existsSync(checkpointsDir)) return;
  for (const name of readdirSync(checkpointsDir)) {
    if (name.startsWith(".tmp-")) rmSync(join(checkpointsDir, name), { recursive: true, force: true });
  }
}

function writeJson(path: string, value: unknown): void {
  const text = `${JSON.stringify(value, null, 2)}\n`;
  writeFileAtomic(path, (fd) => writeSync(fd, text));
}

/** config.json as transformers writes it for a CLIPModel. */
function hfConfig(model: CLIPModel): Record<string, unknown> {
  const c = model.config;
  return {
    architectures: ["CLIPModel"],
    model_type: "clip",
    torch_dtype: "float32",
    ...c,
    text_config: { model_type: "clip_text_model", ...c.text_config, projection_dim: c.projection_dim },
    vision_config: { model_type: "clip_vision_model", ...c.vision_config, projection_dim: c.projection_dim },
  };
}

/**
 * Writes a model folder (weights, config, and every file of `filesDir`: tokenizer and
 * preprocessor) at `target`, atomically: built in a temp sibling, then renamed. `extra` adds
 * the files only resuming needs.
 */
export function writeModelFolder(
  target: string, model: CLIPModel, filesDir: string,
  extra?: { optimizer: Optimizer; state: Omit<TrainerState, "optimizer"> },
): void {
  const parent = join(target, "..");
  mkdirSync(parent, { recursive: true });
  const temp = join(parent, `.tmp-${target.split(/[\\/]/).pop()}-${process.pid}`);
  rmSync(temp, { recursive: true, force: true });
  mkdirSync(temp);
  try {
    saveSafetensors(join(temp, "model.safetensors"), model.stateDict(), { metadata: { format: "pt" } });
    writeJson(join(temp, "config.json"), hfConfig(model));
    for (const name of readdirSync(filesDir)) copyFileSync(join(filesDir, name), join(temp, name));
    if (extra) {
      const sd = extra.optimizer.stateDict();
      saveSafetensors(join(temp, "optimizer.safetensors"), sd.tensors);
      // Written last: its presence marks the checkpoint complete (see listCheckpoints).
      writeJson(join(temp, "trainer_state.json"), { ...extra.state, optimizer: sd.meta });
    }
    syncDirectory(temp);
    // rename cannot replace a non-empty folder; a folder of the same step only exists when a
    // finished run's final/ is rewritten.
    rmSync(target, { recursive: true, force: true });
    renameSync(temp, target);
    syncDirectory(parent);
  } catch (err) {
    rmSync(temp, { recursive: true, force: true });
    throw err;
  }
}

/** Deletes all but the newest `keep` checkpoints. */
export function pruneCheckpoints(checkpointsDir: string, keep: number): void {
  const all = listCheckpoints(checkpointsDir);
  for (const old of all.slice(0, Math.max(0, all.length - keep))) rmSync(old.dir, { recursive: true, force: true });
}

export interface LoadedTrainerState {
  state: TrainerState;
  optimizer: OptimizerStateDict;
}

export function readTrainerState(dir: string): LoadedTrainerState {
  const file = join(dir, "trainer_state.json");
  const state = readJson(file) as TrainerState;
  if (state.version !== 1 || !Number.isInteger(state.step) || !state.position || !state.scheduler || !state.optimizer) {
    throw new FileFormatError(file, "not a vlmkit CLIP trainer state (version 1)");
  }
  return { state, optimizer: { meta: state.optimizer, tensors: loadSafetensors(join(dir, "optimizer.safetensors")) } };
}

/** JSON cannot hold NaN; the generator uses it for "no spare normal". */
export function generatorStateToJson(state: readonly number[]): Array<number | null> {
  return state.map((v) => (Number.isNaN(v) ? null : v));
}

export function generatorStateFromJson(state: ReadonlyArray<number | null>): number[] {
  return state.map((v) => (v === null ? NaN : v));
}
