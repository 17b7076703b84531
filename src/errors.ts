/**
 * Named errors shared by the whole toolkit. Every error has a stable `code` so that the CLI,
 * the server and tests can tell them apart without parsing messages, and a message that names
 * the offending file, key or value.
 */
export class VlmError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Shapes that cannot be combined (broadcast, matmul, concat...). */
export class ShapeError extends VlmError {
  constructor(message: string) {
    super("E_SHAPE", message);
  }
}

/** A tensor of the wrong dtype handed to an op. */
export class DTypeError extends VlmError {
  constructor(message: string) {
    super("E_DTYPE", message);
  }
}

/** An argument outside what the function accepts (bad axis, negative size, ...). */
export class ArgumentError extends VlmError {
  constructor(message: string) {
    super("E_ARGUMENT", message);
  }
}

/** Autograd misuse: backward on a non-scalar without a gradient, on a tensor without grad, ... */
export class AutogradError extends VlmError {
  constructor(message: string) {
    super("E_AUTOGRAD", message);
  }
}

/** A malformed, truncated or inconsistent file (safetensors, pickle, config, ...). */
export class FileFormatError extends VlmError {
  readonly file: string;
  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super("E_FILE_FORMAT", `${file}: ${message}`, options);
    this.file = file;
  }
}

/** A state dict that does not fit a model: missing, unexpected or mis-shaped keys. */
export class StateDictError extends VlmError {
  readonly missing: string[];
  readonly unexpected: string[];
  readonly mismatched: string[];
  constructor(missing: string[], unexpected: string[], mismatched: string[]) {
    const parts: string[] = [];
    if (missing.length) parts.push(`missing keys: ${missing.join(", ")}`);
    if (unexpected.length) parts.push(`unexpected keys: ${unexpected.join(", ")}`);
    if (mismatched.length) parts.push(`shape mismatch: ${mismatched.join("; ")}`);
    super("E_STATE_DICT", `state dict does not fit the model: ${parts.join(" | ")}`);
    this.missing = missing;
    this.unexpected = unexpected;
    this.mismatched = mismatched;
  }
}

/** A file or folder that the user named and that is not there. */
export class NotFoundError extends VlmError {
  constructor(message: string) {
    super("E_NOT_FOUND", message);
  }
}

/** Why an image could not be decoded; lets callers skip bad files but stop on bombs. */
export type ImageDecodeReason = "not-an-image" | "truncated" | "too-many-pixels" | "too-large" | "corrupt";

/** An image file or buffer that could not be decoded (named file, one-line reason). */
export class ImageDecodeError extends VlmError {
  readonly file: string;
  readonly reason: ImageDecodeReason;
  constructor(file: string, reason: ImageDecodeReason, message: string, options?: { cause?: unknown }) {
    super("E_IMAGE_DECODE", `${file}: ${message}`, options);
    this.file = file;
    this.reason = reason;
  }
}

/** Text that cannot be tokenised as asked (too long without truncation, unknown id, ...). */
export class TokenizerError extends VlmError {
  constructor(message: string) {
    super("E_TOKENIZER", message);
  }
}

/** A model configuration with missing or ill-typed fields; names the file and the field. */
export class ConfigError extends VlmError {
  constructor(source: string, message: string) {
    super("E_CONFIG", `${source}: ${message}`);
  }
}

/** A Hugging Face Hub request that failed (HTTP status, network, malformed answer); names the URL. */
export class HubError extends VlmError {
  readonly url: string | undefined;
  readonly status: number | undefined;
  constructor(message: string, options?: { url?: string; status?: number; cause?: unknown }, code = "E_HUB") {
    super(code, message, { cause: options?.cause });
    this.url = options?.url;
    this.status = options?.status;
  }
}

/** 401/403 from the Hub: a private or gated repo, or a bad token; the message says to set HF_TOKEN. */
export class HubAuthError extends HubError {
  constructor(message: string, options?: { url?: string; status?: number; cause?: unknown }) {
    super(message, options, "E_HUB_AUTH");
  }
}

/** A repo, revision or file the Hub answered 404 for (a NotFoundError, so one catch covers both). */
export class HubNotFoundError extends NotFoundError {
  readonly url: string;
  constructor(message: string, url: string) {
    super(message);
    this.url = url;
  }
}

/** Offline (HF_HUB_OFFLINE) or unreachable Hub, and the model is not in the local cache. */
export class NotCachedError extends VlmError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("E_NOT_CACHED", message, options);
  }
}

/** Downloaded bytes that do not match what the server promised (size or sha256). */
export class IntegrityError extends VlmError {
  readonly file: string;
  constructor(file: string, message: string) {
    super("E_INTEGRITY", `${file}: ${message}`);
    this.file = file;
  }
}

/**
 * A pickle (PyTorch checkpoint) that names a global outside the loader's allow-list. Unpickling
 * stops there: nothing the file names is ever imported or called, so a malicious checkpoint
 * fails with this error instead of running code.
 */
export class UnsafePickleError extends VlmError {
  readonly file: string;
  /** The refused global as `module.name`, e.g. `posix.system`. */
  readonly global: string;
  constructor(file: string, global: string, message: string) {
    super("E_UNSAFE_PICKLE", `${file}: ${message}`);
    this.file = file;
    this.global = global;
  }
}

/**
 * A dataset that cannot be read as asked: a manifest without the named column, a row without
 * an image path or caption, a shard that is not a tar. Names the file and, where there is one,
 * the 1-based line.
 */
export class DatasetError extends VlmError {
  readonly file: string;
  readonly line: number | undefined;
  constructor(file: string, message: string, options?: { line?: number; cause?: unknown }) {
    super("E_DATASET", `${file}${options?.line !== undefined ? `:${options.line}` : ""}: ${message}`, {
      cause: options?.cause,
    });
    this.file = file;
    this.line = options?.line;
  }
}

/** A prompt (or prompt plus requested tokens) longer than the model's context window. */
export class ContextLengthError extends VlmError {
  readonly length: number;
  readonly maxLength: number;
  constructor(message: string, length: number, maxLength: number) {
    super("E_CONTEXT_LENGTH", message);
    this.length = length;
    this.maxLength = maxLength;
  }
}

/** Image placeholder tokens in a prompt that do not match the image features given for it. */
export class ImageTokenError extends VlmError {
  readonly tokens: number;
  readonly features: number;
  constructor(message: string, tokens: number, features: number) {
    super("E_IMAGE_TOKENS", message);
    this.tokens = tokens;
    this.features = features;
  }
}
