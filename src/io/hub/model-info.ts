import { HubError } from "../../errors.js";
import { readJsonBody, request, statusError, type HttpConfig, type RequestContext } from "./http.js";
import { COMMIT_HASH, modelInfoUrl } from "./repo-id.js";

export interface ModelInfo {
  /** The commit the revision points to now; every file is then fetched at this commit. */
  sha: string;
  /** Repo paths (`siblings[].rfilename`). */
  files: string[];
}

/** `GET {endpoint}/api/models/{repo}/revision/{revision}`, checked for the two fields we use. */
export async function fetchModelInfo(config: HttpConfig, context: RequestContext): Promise<ModelInfo> {
  const url = modelInfoUrl(config.endpoint, context.repo, context.revision);
  const result = await request(url, config, { method: "GET", crossOriginRedirects: false });
  if (!result.response.ok) {
    await result.response.body?.cancel();
    throw statusError(result.response, result.url, context);
  }
  const body = (await readJsonBody(result, config)) as { sha?: unknown; siblings?: unknown } | null;
  const sha = body?.sha;
  const siblings = body?.siblings;
  if (typeof sha !== "string" || !COMMIT_HASH.test(sha) || !Array.isArray(siblings)) {
    throw new HubError(`${context.repo}: model info from ${result.url} lacks a commit "sha" or a "siblings" list`, { url: result.url });
  }
  const files = siblings.map((s: { rfilename?: unknown }) => s?.rfilename);
  if (!files.every((f): f is string => typeof f === "string")) {
    throw new HubError(`${context.repo}: model info from ${result.url} has a sibling without "rfilename"`, { url: result.url });
  }
  return { sha, files };
}
