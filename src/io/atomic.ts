import { closeSync, fsyncSync, openSync, renameSync, rmSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { basename, dirname, join, resolve } from "node:path";

/**
 * Writes `path` so that readers (and a crash) see either the old file or the complete new one:
 * write a temp file in the same directory (rename is only atomic within one filesystem),
 * fsync it, rename it over the target, then fsync the directory so the rename itself is
 * durable. On any failure the temp file is removed and the old file is untouched.
 */
export function writeFileAtomic(path: string, write: (fd: number) => void): void {
  const dir = dirname(resolve(path));
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  const fd = openSync(temp, "wx");
  let open = true;
  try {
    write(fd);
    fsyncSync(fd);
    closeSync(fd);
    open = false;
    renameSync(temp, path);
  } catch (error) {
    if (open) closeSync(fd);
    rmSync(temp, { force: true });
    throw error;
  }
  syncDirectory(dir);
}

/**
 * Best effort: the new file is already in place when this runs, so a failure here (Windows
 * cannot open a directory; some network filesystems reject fsync on one) must not turn a
 * completed write into an error. It only narrows the window in which a power cut could undo
 * the rename.
 */
export function syncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Durability only: the write itself has succeeded.
  }
}
