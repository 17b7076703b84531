/**
 * Checkpoints of a training run, for any model: runs/NAME/checkpoints/step-000123/ holds what
 * the trainer's `saveModel` writes (a model folder its loader reads as is) plus what resuming
 * needs (optimizer.safetensors, trainer_state.json).
 *
 * A run killed at any moment leaves only complete checkpoints listed:
 * - a checkpoint is written into a hidden temp folder and renamed into place;
 * - trainer_state.json is written last and records the size of every other file, so a folder
 *   missing any of them (or with one cut short) is not complete;
 * - pruning renames a checkpoint out of the `step-` names before deleting it, so a kill in the
 *   middle of a deletion leaves a hidden folder, removed when the run is opened again.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { LoaderPosition } from "../data/loader.js";
import { FileFormatError } from "../errors.js";
import { syncDirectory, writeFileAtomic } from "../io/atomic.js";
import { loadSafetensors, readJson, saveSafetensors } from "../io/index.js";
import type { LRSchedulerState, Optimizer, OptimizerStateDict } from "../optim/index.js";

/** Writes a model into `dir` (an empty folder): weights, config.json, tokenizer files... */
export type SaveModel = (dir: string) => void;

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
  /** Size in bytes of every other file of the checkpoint (absent in checkpoints written before it). */
  files?: Record<string, number>;
}

const STATE_FILE = "trainer_state.json";
const CHECKPOINT = /^step-(\d+)$/;
const STEP_DIGITS = 6;
/** Hidden folders: checkpoints being written, and checkpoints being deleted. */
const TEMP_PREFIX = ".tmp-";
const DELETING_PREFIX = ".deleting-";

export function checkpointName(step: number): string {
  return `step-${String(step).padStart(STEP_DIGITS, "0")}`;
}

export interface CheckpointInfo {
  step: number;
  dir: string;
}

/** The `step-` folders, complete or not, oldest first. */
function checkpointFolders(checkpointsDir: string): CheckpointInfo[] {
  if (!existsSync(checkpointsDir)) return [];
  return readdirSync(checkpointsDir)
    .map((name) => ({ name, m: CHECKPOINT.exec(name) }))
    .filter((e) => e.m !== null)
    .map((e) => ({ step: Number(e.m![1]), dir: join(checkpointsDir, e.name) }))
    .sort((a, b) => a.step - b.step);
}

/** Whether every file the checkpoint's state lists is there at its recorded size. */
function isComplete(dir: string): boolean {
  let state: TrainerState;
  try {
    state = readJson(join(dir, STATE_FILE)) as TrainerState;
  } catch {
    return false;
  }
  if (!state.files) return true;
  return Object.entries(state.files).every(([name, size]) => {
    const file = join(dir, name);
    return existsSync(file) && statSync(file).size === size;
  });
}

/** Complete checkpoints, oldest first; temp folders and half-deleted or half-written ones are not listed. */
export function listCheckpoints(checkpointsDir: string): CheckpointInfo[] {
  return checkpointFolders(checkpointsDir).filter((c) => isComplete(c.dir));
}

/** Removes the hidden folders left by a process killed while writing or deleting a checkpoint. */
export function removeIncompleteCheckpoints(checkpointsDir: string): void {
  if (!existsSync(checkpointsDir)) return;
  for (const name of readdirSync(checkpointsDir)) {
    if (name.startsWith(TEMP_PREFIX) || name.startsWith(DELETING_PREFIX)) rmSync(join(checkpointsDir, name), { recursive: true, force: true });
  }
}

function writeJson(path: string, value: unknown): void {
  const text = `${JSON.stringify(value, null, 2)}\n`;
  writeFileAtomic(path, (fd) => writeSync(fd, text));
}

/**
 * Makes folder `target` appear complete or not at all: `fill` writes into a temp sibling,
 * which is then renamed into place (replacing an older folder of that name).
 *
 * @example
 * writeFolderAtomic("runs/x/final", (dir) => saveClipModel(dir, model, filesDir));
 */
export function writeFolderAtomic(target: string, fill: (dir: string) => void): void {
  const parent = dirname(target);
  mkdirSync(parent, { recursive: true });
  const temp = join(parent, `${TEMP_PREFIX}${basename(target)}-${process.pid}`);
  rmSync(temp, { recursive: true, force: true });
  mkdirSync(temp);
  try {
    fill(temp);
    syncDirectory(temp);
    // rename cannot replace a non-empty folder; one of the same name only exists when a
    // finished run's final/ is rewritten or a stale checkpoint is overwritten.
    rmSync(target, { recursive: true, force: true });
    renameSync(temp, target);
    syncDirectory(parent);
  } catch (err) {
    rmSync(temp, { recursive: true, force: true });
    throw err;
  }
}

/** Writes checkpoint `step` into `checkpointsDir`: the model, the optimizer state, the trainer state (last). */
export function writeCheckpoint(
  checkpointsDir: string, saveModel: SaveModel, optimizer: Optimizer, state: Omit<TrainerState, "optimizer" | "files">,
): void {
  writeFolderAtomic(join(checkpointsDir, checkpointName(state.step)), (dir) => {
    saveModel(dir);
    const sd = optimizer.stateDict();
    saveSafetensors(join(dir, "optimizer.safetensors"), sd.tensors);
    const files = Object.fromEntries(readdirSync(dir).sort().map((name) => [name, statSync(join(dir, name)).size]));
    // Written last: it marks the checkpoint complete (see listCheckpoints).
    writeJson(join(dir, STATE_FILE), { ...state, optimizer: sd.meta, files });
  });
}

/** Deletes every checkpoint folder but the newest `keep` complete ones (half-deleted ones included). */
export function pruneCheckpoints(checkpointsDir: string, keep: number): void {
  const kept = new Set(listCheckpoints(checkpointsDir).slice(-keep).map((c) => c.dir));
  for (const { dir } of checkpointFolders(checkpointsDir)) {
    if (kept.has(dir)) continue;
    // Out of the listed names first (one atomic rename), then deleted at leisure.
    const doomed = join(checkpointsDir, `${DELETING_PREFIX}${basename(dir)}-${process.pid}`);
    renameSync(dir, doomed);
    syncDirectory(checkpointsDir);
    rmSync(doomed, { recursive: true, force: true });
  }
}

export interface LoadedTrainerState {
  state: TrainerState;
  optimizer: OptimizerStateDict;
}

export function readTrainerState(dir: string): LoadedTrainerState {
  const file = join(dir, STATE_FILE);
  const state = readJson(file) as TrainerState;
  if (state.version !== 1 || !Number.isInteger(state.step) || !state.position || !state.scheduler || !state.optimizer) {
    throw new FileFormatError(file, "not a vlmkit trainer state (version 1)");
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
