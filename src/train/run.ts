/**
 * Opening a run folder: runs/NAME/ holds checkpoints/, final/, metrics.jsonl, curves and
 * run.json. A new run refuses a folder that already holds one; `resume` continues from the
 * newest complete checkpoint, and only with the options the run started with.
 */
import { existsSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { ArgumentError } from "../errors.js";
import { type LoadedTrainerState, listCheckpoints, readTrainerState, removeIncompleteCheckpoints } from "./checkpoint.js";

export interface ResumePoint extends LoadedTrainerState {
  /** The checkpoint folder: the trainer loads its model from it. */
  dir: string;
}

export interface OpenedRun {
  dir: string;
  checkpointsDir: string;
  finalDir: string;
  resumed: ResumePoint | null;
}

function checkSameRun(saved: Record<string, unknown>, now: Record<string, unknown>, dir: string): void {
  const differ = Object.keys(now).filter((k) => JSON.stringify(saved[k] ?? null) !== JSON.stringify(now[k] ?? null));
  if (differ.length > 0) {
    const list = differ.map((k) => `${k}: ${JSON.stringify(saved[k] ?? null)} -> ${JSON.stringify(now[k] ?? null)}`).join(", ");
    throw new ArgumentError(`--resume from ${dir} with different options (${list}); resume with the options the run started with`);
  }
}

/**
 * The run folder `out`, and what to resume from when `resume` is set. `fingerprint` holds
 * the options that shape the trajectory (see `fingerprint` in options.ts). Leftovers of a
 * process killed while writing or deleting a checkpoint are removed first.
 */
export function openRun(o: { out: string; resume: boolean }, fingerprint: Record<string, unknown>): OpenedRun {
  const dir = resolve(o.out);
  const checkpointsDir = join(dir, "checkpoints");
  const finalDir = join(dir, "final");
  removeIncompleteCheckpoints(checkpointsDir);
  const latest = listCheckpoints(checkpointsDir).at(-1) ?? null;
  if (o.resume && !latest) throw new ArgumentError(`--resume: no complete checkpoint in ${checkpointsDir}`);
  if (!o.resume && (latest || existsSync(finalDir))) {
    throw new ArgumentError(`${dir} already holds a run; pass --resume to continue it, or choose another --out`);
  }
  const resumed = o.resume && latest ? { dir: latest.dir, ...readTrainerState(latest.dir) } : null;
  if (resumed) checkSameRun(resumed.state.fingerprint, fingerprint, latest!.dir);
  return { dir, checkpointsDir, finalDir, resumed };
}

/** run.json: what a new run was started with (options, planned steps, parameter count), for people reading the folder. */
export function writeRunRecord(run: OpenedRun, record: Record<string, unknown>): void {
  writeFileSync(join(run.dir, "run.json"), `${JSON.stringify(record, null, 2)}\n`);
}
