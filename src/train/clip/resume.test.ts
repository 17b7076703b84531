/**
 * The kill-and-resume test: `vlm train clip` killed with SIGKILL after a checkpoint and resumed
 * with --resume must end with the very weights of an uninterrupted run.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { loadSafetensors } from "../../io/index.js";
import { writeShapesDataset } from "../../../test/support/shapes.js";

const entry = fileURLToPath(new URL("../../cli/run.ts", import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), "vlm-resume-"));
let manifest: string;

// 36 training rows in micro-batches of 6, two per step: 3 steps per epoch, so the run
// crosses epochs, and the kill lands inside gradient accumulation as often as not.
function args(out: string): string[] {
  return [
    "--import", "tsx", entry, "train", "clip", "--data", manifest, "--split", "train", "--model-config", "tiny",
    "--batch-size", "6", "--grad-accum", "2", "--steps", "14", "--lr", "2e-3", "--warmup", "3",
    "--save-every", "2", "--keep", "2", "--seed", "7", "--workers", "1", "--blur", "0.5", "--out", out,
  ];
}

before(async () => {
  manifest = await writeShapesDataset(join(scratch, "shapes"), { count: 48, seed: 3 });
});
after(() => rmSync(scratch, { recursive: true, force: true }));

function run(out: string, extra: string[] = []): void {
  const r = spawnSync(process.execPath, [...args(out), ...extra], { encoding: "utf8", timeout: 120_000 });
  assert.equal(r.status, 0, `exit ${r.status}: ${r.stderr}`);
}

/** Starts a run and SIGKILLs it as soon as a checkpoint folder appears; returns the steps saved by then. */
async function runAndKill(out: string): Promise<number[]> {
  const child = spawn(process.execPath, args(out), { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const checkpoints = join(out, "checkpoints");
  const deadline = Date.now() + 90_000;
  let saved: string[] = [];
  while (Date.now() < deadline && child.exitCode === null) {
    saved = existsSync(checkpoints) ? readdirSync(checkpoints).filter((n) => n.startsWith("step-")) : [];
    if (saved.length > 0) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  child.kill("SIGKILL");
  const code = await exited;
  assert.equal(code, null, `the run should have been killed, it exited with ${code}: ${stderr}`);
  return saved.map((n) => Number(n.slice(5)));
}

test("a run killed with SIGKILL and resumed ends with the same weights as an uninterrupted one", { timeout: 300_000 }, async () => {
  const straight = join(scratch, "straight");
  run(straight);

  const killed = join(scratch, "killed");
  const saved = await runAndKill(killed);
  assert.ok(saved.length > 0, "a checkpoint was written before the kill");
  assert.ok(!existsSync(join(killed, "final")), "killed before the end (otherwise nothing was resumed)");
  const latest = Math.max(...readdirSync(join(killed, "checkpoints")).filter((n) => n.startsWith("step-")).map((n) => Number(n.slice(5))));
  assert.ok(latest < 14, `killed mid-run (latest checkpoint ${latest})`);

  run(killed, ["--resume"]);
  const a = loadSafetensors(join(straight, "final", "model.safetensors"));
  const b = loadSafetensors(join(killed, "final", "model.safetensors"));
  assert.deepEqual([...b.keys()].sort(), [...a.keys()].sort());
  for (const [name, t] of a) {
    const u = b.get(name)!;
    assert.deepEqual(u.shape, t.shape, name);
    assert.ok(Buffer.from(u.f32().buffer, u.f32().byteOffset, u.f32().byteLength).equals(Buffer.from(t.f32().buffer, t.f32().byteOffset, t.f32().byteLength)), `${name} differs after resume`);
  }
  // The optimizer moments too: a resumed run is the same run, not just the same weights.
  const lastA = join(straight, "checkpoints", "step-000014", "optimizer.safetensors");
  const lastB = join(killed, "checkpoints", "step-000014", "optimizer.safetensors");
  assert.ok(readFileSync(lastA).equals(readFileSync(lastB)), "optimizer state differs");
  // The metrics log has each step once, resumed or not.
  const steps = readFileSync(join(killed, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { type: string; step: number });
  const trainSteps = steps.filter((r) => r.type === "train").map((r) => r.step);
  assert.deepEqual(trainSteps, [...new Set(trainSteps)].sort((x, y) => x - y));
});

test("the same options twice give bit-identical runs (the baseline the resume test relies on)", { timeout: 200_000 }, () => {
  // If the trainer were nondeterministic, the resume test above could not tell a bad resume
  // from noise; two fresh runs must agree exactly.
  const again = join(scratch, "again");
  run(again);
  const a = readFileSync(join(scratch, "straight", "final", "model.safetensors"));
  const b = readFileSync(join(again, "final", "model.safetensors"));
  assert.ok(a.equals(b));
});
