export { resolveModelPath, type ResolveOptions } from "./resolve.js";
export { hubSettings, hubCacheDir, hfHome, hubToken, DEFAULT_ENDPOINT, type Env, type HubSettings, type SettingsOverrides } from "./env.js";
export { RepoCache } from "./cache.js";
export { isRepoId, repoFolderName, resolveUrl, modelInfoUrl } from "./repo-id.js";
export { selectFiles, shardsOf, globToRegExp, MODEL_SIDE_FILES, type Selection, type SelectOptions } from "./select-files.js";
export type { DownloadProgress, ProgressCallback } from "./progress.js";
