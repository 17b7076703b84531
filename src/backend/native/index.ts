/**
 * The native backend: a thin wrapper over the C++ addon (build/Release/vlmkit_native.node, built
 * by node-gyp on `npm install`). It validates every argument before crossing into C++, where a
 * wrong length would be memory corruption rather than an exception, and hands whole operations
 * over (an N-API call costs ~0.2 us: fine per layer, too much per row or head).
 *
 * @example
 * const be = createNativeBackend(); // throws a one-line Error when the addon is not built
 * be.setThreads(2);
 * be.matmul(a, w, out, { batch: 1, m: 50, n: 768, k: 768, transA: false, transB: true,
 *   strideA: 0, strideB: 0, cacheB: { key: weightTensor, version: weightTensor.version } });
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ActivationKind, AttentionParams, Backend, HalfKind, MatmulParams, PartialBackend } from "../backend.js";
import { ArgumentError, ShapeError } from "../../errors.js";

/** Opaque handle to B packed into the GEMM micro-kernel's panel layout (freed by the GC). */
type PackedHandle = object;

/**
 * The addon's exports. Kernels whose signature is the Backend's own are typed from it; all
 * backward kernels are optional (absent from addons built before them: the ops then use js).
 */
interface Addon extends Partial<Pick<Backend, "sumRows" | "layerNormBackward" | "rmsNormBackward">> {
  info(): NativeInfo;
  setThreads(n: number): void;
  packB(b: Float32Array, count: number, k: number, n: number, transB: boolean, strideB: number): PackedHandle;
  matmul(
    a: Float32Array, b: Float32Array, out: Float32Array, batch: number, m: number, n: number, k: number,
    transA: boolean, transB: boolean, strideA: number, strideB: number, bias: Float32Array | null,
    accumulate: boolean, packed: PackedHandle | null,
  ): void;
  matmulHalfB(
    a: Float32Array, bBits: Uint16Array, kind: number, out: Float32Array, batch: number, m: number, n: number,
    k: number, transA: boolean, transB: boolean, strideA: number, strideB: number, bias: Float32Array | null,
    accumulate: boolean,
  ): void;
  softmax(x: Float32Array, out: Float32Array, rows: number, cols: number): void;
  layerNorm(
    x: Float32Array, weight: Float32Array | null, bias: Float32Array | null, out: Float32Array, rows: number,
    cols: number, eps: number, mean: Float32Array | null, rstd: Float32Array | null,
  ): void;
  rmsNorm(
    x: Float32Array, weight: Float32Array | null, out: Float32Array, rows: number, cols: number, eps: number,
    rstd: Float32Array | null,
  ): void;
  activation(kind: number, x: Float32Array, out: Float32Array): void;
  // Absent from addons built before it (the tensor layer then adds in js).
  add?(a: Float32Array, b: Float32Array, out: Float32Array): void;
  attention(
    q: Float32Array, k: Float32Array, v: Float32Array, out: Float32Array, batch: number, heads: number,
    kvHeads: number, lq: number, lk: number, headDim: number, scale: number, causal: boolean,
    mask: Float32Array | null, maskBatch: number, maskHeads: number, blhd?: boolean, probs?: Float32Array | null,
  ): void;
  // Backward kernels: absent from addons built before them (the ops then use the js ones).
  attentionBackward?(
    q: Float32Array, k: Float32Array, v: Float32Array, probs: Float32Array, gradOut: Float32Array, gradQ: Float32Array,
    gradK: Float32Array, gradV: Float32Array, batch: number, heads: number, kvHeads: number, lq: number, lk: number,
    headDim: number, scale: number, causal: boolean, blhd: boolean,
  ): void;
  activationBackward?(kind: number, x: Float32Array, gradOut: Float32Array, gradIn: Float32Array): void;
  softmaxBackward?(y: Float32Array, gradOut: Float32Array, gradIn: Float32Array, rows: number, cols: number): void;
  adamwStep?(
    p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, decay: number, beta1: number, beta2: number,
    oneMinusBeta1: number, oneMinusBeta2: number, stepSize: number, bc2Sqrt: number, eps: number,
  ): void;
}

/** What the loaded addon runs on: the kernel ISA picked at run time and the pool size. */
export interface NativeInfo {
  isa: "avx512" | "avx2" | "portable";
  threads: number;
  defaultThreads: number;
  /** The addon's attention takes the "blhd" layout (absent from addons built before it). */
  attentionBlhd?: boolean;
  /** glibc keeps freed memory mapped for reuse (set on load; VLM_MALLOC_TUNING=0 opts out). */
  mallocTuned?: boolean;
}

/** Order matches vlm::Activation in kernels.h. */
const enum Act {
  Gelu = 0,
  GeluTanh = 1,
  QuickGelu = 2,
  Silu = 3,
}

const ACT_KIND: Record<ActivationKind, Act> = {
  gelu: Act.Gelu,
  geluTanh: Act.GeluTanh,
  quickGelu: Act.QuickGelu,
  silu: Act.Silu,
};

/** The directory holding vlmkit's package.json: src/backend/native under tsx, dist/backend/native after tsc. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "vlmkit") return dir;
      } catch {
        // An unreadable manifest belongs to some other package: keep walking up.
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error("native addon not found: no vlmkit package.json above " + import.meta.url);
    dir = parent;
  }
}

let addon: Addon | null = null;

function loadAddon(): Addon {
  if (addon) return addon;
  const file = join(packageRoot(), "build", "Release", "vlmkit_native.node");
  if (!existsSync(file)) throw new Error(`native addon not built (${file} is missing)`);
  try {
    addon = createRequire(import.meta.url)(file) as Addon;
  } catch (err) {
    const reason = err instanceof Error ? err.message.split("\n")[0] : String(err);
    throw new Error(`native addon failed to load (${reason})`);
  }
  return addon;
}

/** Pool size and kernel ISA of the addon; throws like createNativeBackend when it is absent. */
export function nativeInfo(): NativeInfo {
  return loadAddon().info();
}

function count(op: string, name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new ArgumentError(`native ${op}: ${name} must be a non-negative integer, got ${value}`);
  }
}

function array(op: string, name: string, arr: unknown, expected: number, atLeast = false): void {
  if (!(arr instanceof Float32Array)) {
    throw new ArgumentError(`native ${op}: ${name} must be a Float32Array`);
  }
  if (atLeast ? arr.length < expected : arr.length !== expected) {
    throw new ShapeError(
      `native ${op}: ${name} has ${arr.length} elements, expected ${atLeast ? "at least " : ""}${expected}`,
    );
  }
}

/** Elements spanned by `n` matrices of `size` elements placed `stride` apart. */
function extent(n: number, stride: number, size: number): number {
  return n === 0 ? 0 : (n - 1) * stride + size;
}

interface CachedPanels {
  version: number;
  k: number;
  n: number;
  transB: boolean;
  count: number;
  handle: PackedHandle;
}

/**
 * Loads the addon and wraps it as a PartialBackend: the kernels an addon built from older
 * sources lacks are absent (src/backend/index.ts completes them from js). Throws a plain Error
 * with a one-line reason when the addon is missing or unloadable (index.ts then warns once and
 * uses js).
 */
export function createNativeBackend(): PartialBackend {
  const lib = loadAddon();
  const blhd = lib.info().attentionBlhd === true;
  // Packed B panels per parameter: dropped with the parameter, replaced when its version moves.
  const packedB = new WeakMap<object, CachedPanels>();

  function matmul(a: Float32Array, b: Float32Array, out: Float32Array, p: MatmulParams): void {
    const { batch, m, n, k, strideA, strideB } = p;
    checkMatmul("matmul", a, out, p);
    array("matmul", "b", b, extent(batch, strideB, k * n), true);
    const transB = !!p.transB;
    let packed: PackedHandle | null = null;
    if (p.cacheB && batch > 0 && m > 0 && n > 0) {
      const { key, version } = p.cacheB;
      const matrices = strideB === 0 ? 1 : batch;
      let entry = packedB.get(key);
      if (
        !entry || entry.version !== version || entry.k !== k || entry.n !== n || entry.transB !== transB ||
        entry.count !== matrices
      ) {
        entry = { version, k, n, transB, count: matrices, handle: lib.packB(b, matrices, k, n, transB, strideB) };
        packedB.set(key, entry);
      }
      packed = entry.handle;
    }
    lib.matmul(
      a, b, out, batch, m, n, k, !!p.transA, transB, strideA, strideB, p.bias ?? null, !!p.accumulate, packed,
    );
  }

  /** Sizes, strides, A, out and bias as `matmul` requires them; B is checked by the caller. */
  function checkMatmul(op: string, a: Float32Array, out: Float32Array, p: MatmulParams): void {
    const { batch, m, n, k, strideA, strideB } = p;
    for (const [name, v] of Object.entries({ batch, m, n, k, strideA, strideB })) count(op, name, v);
    array(op, "a", a, extent(batch, strideA, m * k), true);
    array(op, "out", out, batch * m * n);
    if (p.bias) array(op, "bias", p.bias, n);
  }

  // cacheB is ignored: keeping decoded panels would hold the float32 copy of B that 16-bit
  // weights exist to avoid, and decoding while packing costs little next to the product.
  function matmulHalfB(a: Float32Array, bBits: Uint16Array, kind: HalfKind, out: Float32Array, p: MatmulParams): void {
    checkMatmul("matmulHalfB", a, out, p);
    if (!(bBits instanceof Uint16Array)) throw new ArgumentError("native matmulHalfB: bBits must be a Uint16Array");
    const needed = extent(p.batch, p.strideB, p.k * p.n);
    if (bBits.length < needed) {
      throw new ShapeError(`native matmulHalfB: bBits has ${bBits.length} elements, expected at least ${needed}`);
    }
    if (kind !== "f16" && kind !== "bf16") {
      throw new ArgumentError(`native matmulHalfB: kind must be "f16" or "bf16", got ${String(kind)}`);
    }
    lib.matmulHalfB(
      a, bBits, kind === "f16" ? 0 : 1, out, p.batch, p.m, p.n, p.k, !!p.transA, !!p.transB, p.strideA, p.strideB,
      p.bias ?? null, !!p.accumulate,
    );
  }

  function unary(op: string, kind: Act) {
    return (x: Float32Array, out: Float32Array): void => {
      if (!(x instanceof Float32Array)) throw new ArgumentError(`native ${op}: x must be a Float32Array`);
      array(op, "out", out, x.length);
      lib.activation(kind, x, out);
    };
  }

  /** Sizes, layout and the q, k, v arrays of an attention call (forward or backward). */
  function checkAttention(op: string, q: Float32Array, k: Float32Array, v: Float32Array, p: AttentionParams): void {
    const { batch, heads, kvHeads, lq, lk, headDim } = p;
    for (const [name, val] of Object.entries({ batch, heads, kvHeads, lq, lk, headDim })) count(op, name, val);
    if (kvHeads === 0 || heads % kvHeads !== 0) {
      throw new ShapeError(`native ${op}: heads (${heads}) must be a multiple of kvHeads (${kvHeads})`);
    }
    if (p.layout !== undefined && p.layout !== "bhld" && !(p.layout === "blhd" && blhd)) {
      throw new ArgumentError(`native ${op}: layout "${p.layout}" is not supported by this addon`);
    }
    array(op, "q", q, batch * heads * lq * headDim);
    array(op, "k", k, batch * kvHeads * lk * headDim);
    array(op, "v", v, batch * kvHeads * lk * headDim);
  }

  // The optional kernels this addon has (an addon built before one of them lacks it).
  const optional: Partial<PartialBackend> = {};
  const { add, attentionBackward, activationBackward, softmaxBackward, layerNormBackward, rmsNormBackward, sumRows, adamwStep } =
    lib;
  if (add) {
    optional.add = (a, b, out) => {
      if (!(out instanceof Float32Array)) throw new ArgumentError("native add: out must be a Float32Array");
      array("add", "a", a, out.length);
      array("add", "b", b, out.length);
      add(a, b, out);
    };
  }
  if (attentionBackward) {
    optional.attentionBackward = (q, k, v, probs, gradOut, gradQ, gradK, gradV, p) => {
      const op = "attentionBackward";
      checkAttention(op, q, k, v, p);
      array(op, "probs", probs, p.batch * p.heads * p.lq * p.lk);
      array(op, "gradOut", gradOut, q.length);
      array(op, "gradQ", gradQ, q.length);
      array(op, "gradK", gradK, k.length);
      array(op, "gradV", gradV, v.length);
      attentionBackward(
        q, k, v, probs, gradOut, gradQ, gradK, gradV, p.batch, p.heads, p.kvHeads, p.lq, p.lk, p.headDim, p.scale,
        p.causal, p.layout === "blhd",
      );
    };
  }
  if (activationBackward) {
    optional.activationBackward = (kind, x, gradOut, gradIn) => {
      const code = Object.hasOwn(ACT_KIND, kind) ? ACT_KIND[kind] : undefined;
      if (code === undefined) throw new ArgumentError(`native activationBackward: unknown activation "${String(kind)}"`);
      if (!(x instanceof Float32Array)) throw new ArgumentError("native activationBackward: x must be a Float32Array");
      array("activationBackward", "gradOut", gradOut, x.length);
      array("activationBackward", "gradIn", gradIn, x.length);
      activationBackward(code, x, gradOut, gradIn);
    };
  }
  if (softmaxBackward) {
    optional.softmaxBackward = (y, gradOut, gradIn, rows, cols) => {
      count("softmaxBackward", "rows", rows);
      count("softmaxBackward", "cols", cols);
      array("softmaxBackward", "y", y, rows * cols);
      array("softmaxBackward", "gradOut", gradOut, rows * cols);
      array("softmaxBackward", "gradIn", gradIn, rows * cols);
      softmaxBackward(y, gradOut, gradIn, rows, cols);
    };
  }
  if (layerNormBackward) {
    optional.layerNormBackward = (x, weight, mean, rstd, gradOut, gradIn, gradWeight, gradBias, rows, cols) => {
      const op = "layerNormBackward";
      count(op, "rows", rows);
      count(op, "cols", cols);
      array(op, "x", x, rows * cols);
      if (weight) array(op, "weight", weight, cols);
      array(op, "mean", mean, rows);
      array(op, "rstd", rstd, rows);
      array(op, "gradOut", gradOut, rows * cols);
      array(op, "gradIn", gradIn, rows * cols);
      if (gradWeight) array(op, "gradWeight", gradWeight, cols);
      if (gradBias) array(op, "gradBias", gradBias, cols);
      layerNormBackward(x, weight, mean, rstd, gradOut, gradIn, gradWeight ?? null, gradBias ?? null, rows, cols);
    };
  }
  if (rmsNormBackward) {
    optional.rmsNormBackward = (x, weight, rstd, gradOut, gradIn, gradWeight, rows, cols) => {
      const op = "rmsNormBackward";
      count(op, "rows", rows);
      count(op, "cols", cols);
      array(op, "x", x, rows * cols);
      if (weight) array(op, "weight", weight, cols);
      array(op, "rstd", rstd, rows);
      array(op, "gradOut", gradOut, rows * cols);
      array(op, "gradIn", gradIn, rows * cols);
      if (gradWeight) array(op, "gradWeight", gradWeight, cols);
      rmsNormBackward(x, weight, rstd, gradOut, gradIn, gradWeight ?? null, rows, cols);
    };
  }

  if (sumRows) {
    optional.sumRows = (x, out, rows, cols) => {
      count("sumRows", "rows", rows);
      count("sumRows", "cols", cols);
      array("sumRows", "x", x, rows * cols);
      array("sumRows", "out", out, cols);
      sumRows(x, out, rows, cols);
    };
  }

  if (adamwStep) {
    optional.adamwStep = (p, g, m, v, h) => {
      const n = p instanceof Float32Array ? p.length : 0;
      array("adamwStep", "p", p, n);
      array("adamwStep", "g", g, n);
      array("adamwStep", "m", m, n);
      array("adamwStep", "v", v, n);
      adamwStep(p, g, m, v, h.decay, h.beta1, h.beta2, h.oneMinusBeta1, h.oneMinusBeta2, h.stepSize, h.bc2Sqrt, h.eps);
    };
  }

  return {
    ...optional,
    name: "native",
    // "blhd" only from an addon that reads it: an older build would ignore the flag.
    attentionLayouts: blhd ? (["bhld", "blhd"] as const) : (["bhld"] as const),
    threads: () => lib.info().threads,
    setThreads(n: number) {
      if (!Number.isInteger(n) || n < 1) {
        throw new ArgumentError(`native setThreads: expected a positive integer, got ${n}`);
      }
      lib.setThreads(n);
    },
    matmul,
    matmulHalfB,
    softmax(x, out, rows, cols) {
      count("softmax", "rows", rows);
      count("softmax", "cols", cols);
      array("softmax", "x", x, rows * cols);
      array("softmax", "out", out, rows * cols);
      lib.softmax(x, out, rows, cols);
    },
    layerNorm(x, weight, bias, out, rows, cols, eps, mean, rstd) {
      count("layerNorm", "rows", rows);
      count("layerNorm", "cols", cols);
      array("layerNorm", "x", x, rows * cols);
      array("layerNorm", "out", out, rows * cols);
      if (weight) array("layerNorm", "weight", weight, cols);
      if (bias) array("layerNorm", "bias", bias, cols);
      if (mean) array("layerNorm", "mean", mean, rows);
      if (rstd) array("layerNorm", "rstd", rstd, rows);
      lib.layerNorm(x, weight, bias, out, rows, cols, eps, mean ?? null, rstd ?? null);
    },
    rmsNorm(x, weight, out, rows, cols, eps, rstd) {
      count("rmsNorm", "rows", rows);
      count("rmsNorm", "cols", cols);
      array("rmsNorm", "x", x, rows * cols);
      array("rmsNorm", "out", out, rows * cols);
      if (weight) array("rmsNorm", "weight", weight, cols);
      if (rstd) array("rmsNorm", "rstd", rstd, rows);
      lib.rmsNorm(x, weight, out, rows, cols, eps, rstd ?? null);
    },
    gelu: unary("gelu", Act.Gelu),
    geluTanh: unary("geluTanh", Act.GeluTanh),
    quickGelu: unary("quickGelu", Act.QuickGelu),
    silu: unary("silu", Act.Silu),
    attention(q, k, v, out, p: AttentionParams) {
      const { batch, heads, kvHeads, lq, lk, headDim } = p;
      checkAttention("attention", q, k, v, p);
      // An addon without the backward kernel predates probs and would ignore them.
      if (p.probs && !attentionBackward) throw new ArgumentError("native attention: probs are not supported by this addon");
      const maskBatch = p.maskBatch ?? 1;
      const maskHeads = p.maskHeads ?? 1;
      array("attention", "out", out, batch * heads * lq * headDim);
      if (p.probs) array("attention", "probs", p.probs, batch * heads * lq * lk);
      if (p.mask) {
        if ((maskBatch !== 1 && maskBatch !== batch) || (maskHeads !== 1 && maskHeads !== heads)) {
          throw new ShapeError(
            `native attention: mask is [${maskBatch}, ${maskHeads}, ...] but must broadcast to [${batch}, ${heads}, ...]`,
          );
        }
        array("attention", "mask", p.mask, maskBatch * maskHeads * lq * lk);
      }
      lib.attention(
        q, k, v, out, batch, heads, kvHeads, lq, lk, headDim, p.scale, p.causal, p.mask ?? null,
        p.mask ? maskBatch : 1, p.mask ? maskHeads : 1, p.layout === "blhd", p.probs ?? null,
      );
    },
  };
}
