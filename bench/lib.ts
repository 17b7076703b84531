/** Shared helpers for the benches: one JSON object per output line, and a robust timer. */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export function emit(record: Record<string, unknown>): void {
  console.log(JSON.stringify(record));
}

/** A positive whole number from the environment variable `name` (BENCH_ROUNDS, ...), else `fallback`. */
export function countFromEnv(name: string, fallback: number): number {
  return Math.max(1, Number.parseInt(process.env[name] ?? "", 10) || fallback);
}

/**
 * Seconds per call of `fn`: after a warm-up, 5 batches of at least `minBatchMs` each and the
 * fastest batch's mean (the minimum is the least noisy throughput estimate on a shared machine).
 */
export function secondsPerCall(fn: () => void, minBatchMs = 150): number {
  fn();
  fn();
  let best = Infinity;
  for (let batch = 0; batch < 5; batch++) {
    let calls = 0;
    const start = process.hrtime.bigint();
    let elapsed = 0;
    do {
      fn();
      calls++;
      elapsed = Number(process.hrtime.bigint() - start) / 1e9;
    } while (elapsed * 1000 < minBatchMs);
    best = Math.min(best, elapsed / calls);
  }
  return best;
}

export function randomArray(n: number, seed = 1): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2147483648 - 1;
  }
  return out;
}

/**
 * The Python to run baselines with: $BENCH_PYTHON, else the first of python3 and the system
 * /usr/bin/python3 that imports torch (a pyenv or venv python3 often lacks the distro's torch).
 */
function findTorchPython(): { python: string } | { skipped: string } {
  const candidates = process.env.BENCH_PYTHON ? [process.env.BENCH_PYTHON] : ["python3", "/usr/bin/python3"];
  let reason = "";
  for (const python of candidates) {
    const probe = spawnSync(python, ["-c", "import torch"], { encoding: "utf8" });
    if (probe.status === 0) return { python };
    reason ||= probe.error
      ? `${python} not runnable: ${probe.error.message}`
      : `${python}: ${probe.stderr.trim().split("\n").pop() ?? "import torch failed"}`;
  }
  return { skipped: reason.slice(0, 200) };
}

let torchPython: ReturnType<typeof findTorchPython> | undefined;

/** Why no python3 with torch can serve as a baseline here, or null when one can. */
export function torchUnavailable(): string | null {
  torchPython ??= findTorchPython();
  return "skipped" in torchPython ? torchPython.skipped : null;
}

/**
 * Runs a baseline script under bench/baselines with `threads` threads and returns its JSON lines.
 * OMP_WAIT_POLICY=PASSIVE and the thread variables keep PyTorch from spinning or
 * oversubscribing the cores, which would make it look slower than it is (DESIGN.md).
 */
export function runPythonBaseline(script: string, threads: number, input: unknown): Array<Record<string, unknown>> {
  const path = fileURLToPath(new URL(`./baselines/${script}`, import.meta.url));
  const n = String(threads);
  torchPython ??= findTorchPython();
  if ("skipped" in torchPython) throw new Error(torchPython.skipped);
  const run = spawnSync(torchPython.python, [path], {
    input: JSON.stringify(input),
    encoding: "utf8",
    env: {
      ...process.env,
      OMP_WAIT_POLICY: "PASSIVE",
      OMP_NUM_THREADS: n,
      OPENBLAS_NUM_THREADS: n,
      MKL_NUM_THREADS: n,
      BENCH_THREADS: n,
    },
  });
  if (run.status !== 0) throw new Error(`${script} failed: ${run.stderr.trim().split("\n").pop()}`);
  return run.stdout.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}
