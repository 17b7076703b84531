/**
 * Runs a block of tests once per available backend. The native addon may be absent (not built
 * yet, or no compiler): then only js runs, and the run prints one note saying why.
 */
import { after, before, describe } from "node:test";
import { existsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { availableBackends, getBackend, setBackend } from "../../src/tensor/index.js";

export type BackendName = "js" | "native";

let noted = false;

/** Why native cannot run here (setBackend's error message), or null when it can. */
export function nativeUnavailableReason(): string | null {
  if (availableBackends().includes("native")) return null;
  try {
    const previous = getBackend().name;
    setBackend("native");
    setBackend(previous);
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

function noteNativeSkipped(): void {
  if (noted) return;
  noted = true;
  const reason = nativeUnavailableReason();
  if (reason === null) return;
  // Every test file runs in its own process under `node --test`; a marker keyed by the runner's
  // pid makes the note appear once per run rather than once per file.
  const marker = join(tmpdir(), `vlmkit-native-skip-note-${process.ppid}`);
  if (existsSync(marker)) return;
  try {
    writeFileSync(marker, reason, { flag: "wx" });
  } catch {
    return;
  }
  process.stderr.write(`# note: native backend skipped in op tests (${reason}); running js only\n`);
}

/**
 * describe(`${name} [backend]`) for each available backend, with that backend active for its
 * tests and the previous one restored afterwards.
 */
export function forEachBackend(name: string, fn: (backend: BackendName) => void): void {
  const backends = availableBackends();
  if (!backends.includes("native")) noteNativeSkipped();
  for (const backend of backends) {
    describe(`${name} [${backend}]`, () => {
      let previous: BackendName = "js";
      before(() => {
        // Without native, getBackend() could only be js, and calling it would print its warning.
        previous = backends.includes("native") ? getBackend().name : "js";
        setBackend(backend);
      });
      after(() => {
        setBackend(previous);
      });
      fn(backend);
    });
  }
}
