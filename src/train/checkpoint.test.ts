import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, test } from "node:test";
import { Linear } from "../nn/index.js";
import { AdamW } from "../optim/index.js";
import {
  type TrainerState, checkpointName, listCheckpoints, pruneCheckpoints, readTrainerState, removeIncompleteCheckpoints, writeCheckpoint,
} from "./checkpoint.js";
import { openRun } from "./run.js";

const scratch = mkdtempSync(join(tmpdir(), "vlm-checkpoint-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

const layer = new Linear(3, 2);
const optimizer = new AdamW(layer.parameters(), { lr: 1e-3 });
const saveModel = (dir: string) => writeFileSync(join(dir, "model.bin"), Buffer.alloc(1000, 7));

function state(step: number): Omit<TrainerState, "optimizer" | "files"> {
  return {
    version: 1, step, totalSteps: 10, position: { epoch: 0, index: step }, samplesSeen: step, skipped: 0,
    scheduler: { lastStep: step, baseLrs: [1e-3] }, generator: [1, 2, 3, 4, null], elapsedSeconds: step,
    fingerprint: { seed: 0 },
  };
}

/** A checkpoints folder with complete checkpoints at `steps`. */
function checkpoints(name: string, steps: number[]): string {
  const dir = join(scratch, name, "checkpoints");
  for (const step of steps) writeCheckpoint(dir, saveModel, optimizer, state(step));
  return dir;
}

const steps = (dir: string) => listCheckpoints(dir).map((c) => c.step);

describe("checkpoints", () => {
  test("written whole, listed, read back; the trainer state records every other file's size", () => {
    const dir = checkpoints("roundtrip", [2, 4]);
    assert.deepEqual(steps(dir), [2, 4]);
    const { state: saved, optimizer: sd } = readTrainerState(join(dir, checkpointName(4)));
    assert.deepEqual(saved.position, { epoch: 0, index: 4 });
    assert.deepEqual(saved.files, { "model.bin": 1000, "optimizer.safetensors": saved.files!["optimizer.safetensors"] });
    assert.equal(sd.meta.optimizer, "AdamW");
    assert.deepEqual(readdirSync(dir).sort(), ["step-000002", "step-000004"], "no temp folders left");
  });

  test("pruning keeps the newest K and leaves no hidden folders", () => {
    const dir = checkpoints("prune", [1, 2, 3, 4]);
    pruneCheckpoints(dir, 2);
    assert.deepEqual(readdirSync(dir).sort(), ["step-000003", "step-000004"]);
  });

  test("a half-deleted or cut-short checkpoint is not listed; pruning removes it", () => {
    const dir = checkpoints("half", [1, 2, 3]);
    rmSync(join(dir, checkpointName(3), "model.bin"));
    truncateSync(join(dir, checkpointName(2), "optimizer.safetensors"), 10);
    assert.deepEqual(steps(dir), [1]);
    writeCheckpoint(dir, saveModel, optimizer, state(4));
    pruneCheckpoints(dir, 2);
    assert.deepEqual(readdirSync(dir).sort(), ["step-000001", "step-000004"]);
  });

  test("resuming skips incomplete checkpoints and clears what a killed write or prune left", () => {
    const dir = checkpoints("resume", [5, 6]);
    const run = join(scratch, "resume");
    rmSync(join(dir, checkpointName(6), "model.bin"));
    // What a kill leaves: a checkpoint renamed for deletion, half deleted; a half-written one.
    mkdirSync(join(dir, ".deleting-step-000004-123"));
    writeFileSync(join(dir, ".deleting-step-000004-123", "trainer_state.json"), JSON.stringify(state(4)));
    mkdirSync(join(dir, ".tmp-step-000007-123"));
    const opened = openRun({ out: run, resume: true }, { seed: 0 });
    assert.equal(opened.resumed?.state.step, 5);
    assert.deepEqual(readdirSync(dir).sort(), ["step-000005", "step-000006"]);
  });

  test("checkpoints written before sizes were recorded still count as complete", () => {
    const dir = checkpoints("legacy", [3]);
    const file = join(dir, checkpointName(3), "trainer_state.json");
    const { state: saved } = readTrainerState(join(dir, checkpointName(3)));
    delete saved.files;
    writeFileSync(file, JSON.stringify(saved));
    assert.deepEqual(steps(dir), [3]);
  });

  test("SIGKILL while pruning leaves every listed checkpoint complete", { timeout: 120_000 }, async () => {
    // Checkpoints of many files, so that deleting one takes long enough to be killed in.
    const dir = join(scratch, "kill", "checkpoints");
    const many = (folder: string) => {
      saveModel(folder);
      for (let i = 0; i < 2000; i++) writeFileSync(join(folder, `shard-${i}.bin`), "x");
    };
    for (const step of [1, 2, 3]) writeCheckpoint(dir, many, optimizer, state(step));
    const module = fileURLToPath(new URL("./checkpoint.ts", import.meta.url));
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e",
      `const { pruneCheckpoints } = await import(${JSON.stringify(module)}); pruneCheckpoints(${JSON.stringify(dir)}, 1);`]);
    const exited = new Promise((resolve) => child.on("exit", resolve));
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && child.exitCode === null && !readdirSync(dir).some((n) => n.startsWith(".deleting-"))) {
      await new Promise((r) => setImmediate(r));
    }
    child.kill("SIGKILL");
    await exited;
    for (const { dir: listed } of listCheckpoints(dir)) {
      assert.equal(readdirSync(listed).length, 2003, `${listed} is listed, so it must be whole`);
    }
    removeIncompleteCheckpoints(dir);
    assert.ok(readdirSync(dir).every((n) => n.startsWith("step-")), `hidden folders cleared: ${readdirSync(dir)}`);
    assert.ok(existsSync(join(dir, checkpointName(3))), "the newest checkpoint is never touched");
  });
});
