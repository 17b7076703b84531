import { existsSync, readFileSync, writeSync } from "node:fs";
import { copyFile, mkdir, readdir, rename, rm, symlink } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { dirname, join, relative } from "node:path";
import { writeFileAtomic } from "../atomic.js";
import { COMMIT_HASH, repoFolderName } from "./repo-id.js";

/**
 * The huggingface_hub cache layout, so Python tools and vlmkit share downloads:
 *
 *   <cacheDir>/models--org--name/
 *     blobs/<etag>                      file contents, named by git sha1 or LFS sha256
 *     blobs/<etag>.incomplete           a download in progress (resumed with a Range request)
 *     refs/<revision>                   the commit hash the branch/tag pointed to, no newline
 *     snapshots/<commit>/<file>         relative symlink to ../../blobs/<etag>
 */
export class RepoCache {
  readonly dir: string;

  constructor(cacheDir: string, readonly repo: string) {
    this.dir = join(cacheDir, repoFolderName(repo));
  }

  blobPath(etag: string): string {
    return join(this.dir, "blobs", etag);
  }

  snapshotDir(commit: string): string {
    return join(this.dir, "snapshots", commit);
  }

  pointerPath(commit: string, filename: string): string {
    return join(this.snapshotDir(commit), ...filename.split("/"));
  }

  /** A commit revision is its own answer; a branch or tag goes through `refs/`. */
  cachedCommit(revision: string): string | undefined {
    if (COMMIT_HASH.test(revision)) return revision;
    try {
      const commit = readFileSync(join(this.dir, "refs", ...revision.split("/")), "utf8").trim();
      return COMMIT_HASH.test(commit) ? commit : undefined;
    } catch {
      return undefined;
    }
  }

  /** Records `revision -> commit`; skipped when already right so read-only caches keep working. */
  async writeRef(revision: string, commit: string): Promise<void> {
    if (revision === commit || this.cachedCommit(revision) === commit) return;
    const path = join(this.dir, "refs", ...revision.split("/"));
    await mkdir(dirname(path), { recursive: true });
    writeFileAtomic(path, (fd) => writeSync(fd, commit));
  }

  /** True when the snapshot entry resolves to a file (a dangling symlink is not cached). */
  hasFile(commit: string, filename: string): boolean {
    return existsSync(this.pointerPath(commit, filename));
  }

  /**
   * Points `snapshots/<commit>/<file>` at the blob. The link is made under a temporary name and
   * renamed over the target so a concurrent reader never sees a half-made entry. Where symlinks
   * are not allowed (Windows without developer mode) the blob is copied instead, as
   * huggingface_hub degrades too.
   */
  async linkSnapshotFile(commit: string, filename: string, etag: string): Promise<string> {
    const pointer = this.pointerPath(commit, filename);
    const blob = this.blobPath(etag);
    await mkdir(dirname(pointer), { recursive: true });
    const temp = `${pointer}.${randomBytes(4).toString("hex")}.tmp`;
    try {
      await symlink(relative(dirname(pointer), blob), temp);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "EPERM" && code !== "EACCES" && code !== "ENOTSUP") throw error;
      await copyFile(blob, temp);
    }
    try {
      await rename(temp, pointer);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    return pointer;
  }

  /** Every file of a snapshot, as repo paths with `/` (what `siblings[].rfilename` would say). */
  async listSnapshot(commit: string): Promise<string[]> {
    const root = this.snapshotDir(commit);
    const entries = await readdir(root, { recursive: true, withFileTypes: true });
    return entries
      .filter((e) => !e.isDirectory())
      .map((e) => relative(root, join(e.parentPath ?? e.path, e.name)).split("\\").join("/"))
      .filter((name) => existsSync(join(root, name)))
      .sort();
  }
}
