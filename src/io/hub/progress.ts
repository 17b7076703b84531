/**
 * Download progress as plain data, so the library draws nothing itself: the CLI passes its
 * terminal bars (cli/progress/download-bars.ts), a server can log, tests can count.
 */
export interface DownloadProgress {
  repo: string;
  /** Repo path of the file, e.g. `model.safetensors`. */
  file: string;
  /** `start` once per file (`downloaded` > 0 when resuming), `data` per chunk, `done` once verified. */
  phase: "start" | "data" | "done";
  /** Bytes of the file on disk so far, including a resumed prefix. */
  downloaded: number;
  total: number;
}

export type ProgressCallback = (event: DownloadProgress) => void;
