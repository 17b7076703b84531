import { ArgumentError, HubError } from "../../errors.js";

/** A 40-hex git commit; such a revision needs no refs lookup and its snapshot never changes. */
export const COMMIT_HASH = /^[0-9a-f]{40}$/;

// huggingface_hub's validate_repo_id rules, restricted to the namespaced `org/name` form: the
// legacy un-namespaced ids (`gpt2`) only survive as redirects on the Hub, and accepting a bare
// word would turn every mistyped local folder name into a network request.
const PART = /^[\w.-]{1,96}$/;

export function isRepoId(id: string): boolean {
  const parts = id.split("/");
  return (
    parts.length === 2 &&
    parts.every((p) => PART.test(p) && !p.startsWith(".") && !p.startsWith("-") && !p.endsWith(".") && !p.endsWith("-")) &&
    !id.includes("--") &&
    !id.includes("..") &&
    !id.endsWith(".git")
  );
}

/** Throws a one-line ArgumentError when `id` is not `org/name`. */
export function checkRepoId(id: string): void {
  if (!isRepoId(id)) {
    throw new ArgumentError(
      `"${id}" is neither an existing local path nor a Hub model id of the form "org/name" ` +
        `(letters, digits, "-", "_", "." ; no "--" or "..")`,
    );
  }
}

/** `org/name` -> `models--org--name`, the folder name huggingface_hub uses. */
export function repoFolderName(repo: string): string {
  return ["models", ...repo.split("/")].join("--");
}

/**
 * Revisions become paths under `refs/` (a branch may be `refs/pr/1`), so anything that could
 * climb out of the repo folder is refused.
 */
export function checkRevision(revision: string): void {
  if (revision === "" || revision.startsWith("/") || revision.split("/").some((p) => p === "" || p === "." || p === "..")) {
    throw new ArgumentError(`invalid revision "${revision}"`);
  }
}

/**
 * Repo file names come from the server and become paths under `snapshots/<commit>/`: a name
 * that is absolute or has `..` segments would write outside the cache, so it is an error.
 */
export function checkRepoFilename(repo: string, filename: string): void {
  if (
    filename === "" ||
    filename.startsWith("/") ||
    filename.includes("\\") ||
    filename.split("/").some((p) => p === "" || p === "." || p === "..")
  ) {
    throw new HubError(`${repo}: refusing unsafe file name "${filename}"`);
  }
}

/** `{endpoint}/{repo}/resolve/{revision}/{file}`, encoded like huggingface_hub's hf_hub_url. */
export function resolveUrl(endpoint: string, repo: string, revision: string, filename: string): string {
  const file = filename.split("/").map(encodeURIComponent).join("/");
  return `${endpoint}/${repo}/resolve/${encodeURIComponent(revision)}/${file}`;
}

/** The model info API: `sha` (the commit the revision points to) and `siblings[].rfilename`. */
export function modelInfoUrl(endpoint: string, repo: string, revision: string): string {
  return `${endpoint}/api/models/${repo}/revision/${encodeURIComponent(revision)}`;
}
