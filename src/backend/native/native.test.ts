// The native backend against the js reference, kernel by kernel, on shapes chosen to hit every
// edge: empty and 1-sized dimensions, micro-tile remainders (6x16 / 12x32 / 4x8), cache-block
// boundaries, the small-m direct path, broadcasts, threads, NaN/inf and huge values.
// When the addon is not built the whole file is skipped with a note, never failed.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { AttentionParams, MatmulParams, PartialBackend } from "../backend.js";
import { jsBackend } from "../js/index.js";
import { createNativeBackend, nativeInfo } from "./index.js";

let native: PartialBackend | null = null;
let skip: string | false = false;
try {
  native = createNativeBackend();
} catch (err) {
  skip = `native addon unavailable (${(err as Error).message}); build it with "npm rebuild"`;
}

function rng(seed: number): () => number {
  // mulberry32: small, seedable, good enough for test data.
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randn(n: number, seed: number, scale = 1, offset = 0): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => offset + scale * (2 * r() - 1));
}

/** |actual - expected| <= abs + rel |expected| everywhere; NaN and infinities must match exactly. */
function assertClose(actual: Float32Array, expected: Float32Array, abs: number, rel: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    const ok = Number.isNaN(e)
      ? Number.isNaN(a)
      : Number.isFinite(e)
        ? Math.abs(a - e) <= abs + rel * Math.abs(e)
        : a === e;
    if (!ok) assert.fail(`${what}: element ${i} is ${a}, expected ${e} (tolerance ${abs} + ${rel}|e|)`);
  }
}

function absMax(x: Float32Array): number {
  let m = 0;
  for (const v of x) if (Number.isFinite(v) && Math.abs(v) > m) m = Math.abs(v);
  return m;
}

function both<T extends unknown[]>(
  size: number, run: (be: PartialBackend, out: Float32Array, ...args: T) => void, ...args: T
): [Float32Array, Float32Array] {
  const got = new Float32Array(size);
  const want = new Float32Array(size);
  run(native!, got, ...args);
  run(jsBackend, want, ...args);
  return [got, want];
}

const SIZES = [0, 1, 2, 5, 6, 7, 15, 16, 17, 33, 64, 100, 257];

interface GemmCase extends MatmulParams {
  seed: number;
}

/** Runs one GEMM on both backends from the same inputs (and the same initial out). */
function checkGemm(c: GemmCase, prepare?: (a: Float32Array, b: Float32Array) => void): void {
  const aCount = c.strideA === 0 ? 1 : c.batch;
  const bCount = c.strideB === 0 ? 1 : c.batch;
  const a = randn(Math.max(aCount * c.strideA, c.m * c.k), c.seed);
  const b = randn(Math.max(bCount * c.strideB, c.k * c.n), c.seed + 1);
  prepare?.(a, b);
  const init = randn(c.batch * c.m * c.n, c.seed + 2);
  const got = init.slice();
  const want = init.slice();
  native!.matmul(a, b, got, c);
  jsBackend.matmul(a, b, want, c);
  const label = `gemm ${JSON.stringify({ ...c, bias: c.bias ? "yes" : undefined, cacheB: undefined })}`;
  // Rounding grows with k and with the size of the terms (which may cancel), not of the result.
  const termScale = Math.max(1, absMax(a) * absMax(b));
  assertClose(got, want, 1e-5 * Math.max(1, c.k) * termScale, 1e-5, label);
}

function gemmCase(m: number, n: number, k: number, extra: Partial<GemmCase> = {}): GemmCase {
  return { batch: 1, m, n, k, transA: false, transB: false, strideA: 0, strideB: 0, seed: m * 7919 + n * 31 + k, ...extra };
}

function forThreads(body: (threads: number) => void): void {
  const before = native!.threads();
  try {
    for (const t of [1, 2]) {
      native!.setThreads(t);
      body(t);
    }
  } finally {
    native!.setThreads(before);
  }
}

describe("native addon load", { skip }, () => {
  it("keeps freed memory mapped on Linux glibc, unless VLM_MALLOC_TUNING=0", () => {
    const { header } = process.report.getReport() as { header: { glibcVersionRuntime?: string } };
    const glibc = process.platform === "linux" && header.glibcVersionRuntime !== undefined;
    assert.equal(nativeInfo().mallocTuned, glibc && process.env.VLM_MALLOC_TUNING !== "0");
    const index = new URL("./index.ts", import.meta.url).href;
    const run = spawnSync(
      process.execPath,
      ["--import", "tsx", "-e", `import(${JSON.stringify(index)}).then((m) => console.log(m.nativeInfo().mallocTuned))`],
      { env: { ...process.env, VLM_MALLOC_TUNING: "0" }, encoding: "utf8" },
    );
    assert.equal(run.stdout.trim(), "false", run.stderr);
  });
});

describe(`native backend vs js${native ? ` (${nativeInfo().isa})` : ""}`, { skip }, () => {
  it("matmul: every size mix, all transpose flags, 1 and 2 threads", () => {
    forThreads(() => {
      for (const [i, m] of SIZES.entries()) {
        for (const [j, n] of SIZES.entries()) {
          const k = SIZES[(i + 2 * j) % SIZES.length];
          const flags = (i + j) % 4;
          checkGemm(gemmCase(m, n, k, { transA: (flags & 1) === 1, transB: (flags & 2) === 2 }));
        }
      }
      for (const k of SIZES) checkGemm(gemmCase(17, 33, k, { transB: true }));
    });
  });

  it("matmul: small m (the direct path) for both layouts of A and B", () => {
    forThreads(() => {
      for (let m = 1; m <= 9; m++) {
        for (const flags of [0, 1, 2, 3]) {
          for (const [n, k] of [[1, 1], [31, 7], [100, 65], [520, 300]]) {
            checkGemm(gemmCase(m, n, k, { transA: (flags & 1) === 1, transB: (flags & 2) === 2 }));
          }
        }
      }
    });
  });

  it("matmul: cache-block boundaries (k across kc, m across mc)", () => {
    forThreads(() => {
      for (const [m, n, k] of [[300, 70, 600], [129, 257, 385], [50, 768, 768]]) {
        checkGemm(gemmCase(m, n, k));
        checkGemm(gemmCase(m, n, k, { transA: true, transB: true }));
      }
      // k split into equal blocks (769 = 3 x 257 ..., 1031 uneven) with A transposed (weight
      // gradients g^T x: every A panel height), row strips of C over several k blocks,
      // bias on the first block only and accumulate into C.
      // k > 4 kc (every ISA) with few rows: B packed one k block at a time, and on two threads
      // the k blocks split between them (each its own copy of C, summed at the end).
      for (const [m, n, k] of [[157, 45, 769], [13, 130, 1031], [200, 33, 2000], [70, 300, 1700]]) {
        const bias = randn(n, m + n + k);
        checkGemm(gemmCase(m, n, k, { transA: true }));
        checkGemm(gemmCase(m, n, k, { transA: true, bias, accumulate: true }));
        checkGemm(gemmCase(m, n, k, { bias }));
        checkGemm(gemmCase(m, n, k, { transB: true, accumulate: true }));
      }
    });
  });

  it("matmul: batches with strides and broadcast operands, bias, accumulate", () => {
    forThreads(() => {
      for (const batch of [1, 2, 3, 4, 9]) {
        for (const [m, n, k] of [[5, 17, 9], [20, 33, 16], [3, 40, 70]]) {
          const mk = m * k;
          const kn = k * n;
          for (const [strideA, strideB] of [[mk, kn], [0, kn], [mk, 0], [mk + 3, kn + 5]]) {
            for (const opts of [{}, { accumulate: true }, { bias: randn(n, 99) }, { bias: randn(n, 98), accumulate: true }]) {
              checkGemm(gemmCase(m, n, k, { batch, strideA, strideB, transB: batch % 2 === 0, ...opts }));
            }
          }
        }
      }
      checkGemm(gemmCase(4, 5, 0, { bias: randn(5, 3), accumulate: true }));
      checkGemm(gemmCase(0, 5, 3, { batch: 0 }));
    });
  });

  it("matmul: cacheB reuses packed panels until the version changes", () => {
    for (const [m, n, k, transB] of [[50, 70, 40, true], [3, 33, 20, false], [1, 16, 8, true]] as const) {
      const key = {};
      const a = randn(m * k, 1);
      const b = randn(k * n, 2);
      const p = (version: number): MatmulParams => ({
        batch: 1, m, n, k, transA: false, transB, strideA: 0, strideB: 0, cacheB: { key, version },
      });
      const run = (be: PartialBackend, params: MatmulParams) => {
        const out = new Float32Array(m * n);
        be.matmul(a, b, out, params);
        return out;
      };
      const first = run(native!, p(1));
      assertClose(first, run(jsBackend, p(1)), 1e-5 * k, 1e-5, "cacheB first call");
      b.set(randn(k * n, 3));
      // Same version: the stale panels are used, proving that they are cached.
      assert.deepEqual(run(native!, p(1)), first, "cacheB with an unchanged version must reuse the panels");
      const fresh = run(native!, p(2));
      assert.notDeepEqual(fresh, first);
      assertClose(fresh, run(jsBackend, p(2)), 1e-5 * k, 1e-5, "cacheB after a version bump");
      // A shape change under the same key and version must repack, not reuse mismatched panels.
      const n2 = n - 1;
      const out = new Float32Array(m * n2);
      const want = new Float32Array(m * n2);
      const p2 = { ...p(2), n: n2 };
      native!.matmul(a, b, out, p2);
      jsBackend.matmul(a, b, want, p2);
      assertClose(out, want, 1e-5 * k, 1e-5, "cacheB shape change");
    }
  });

  it("matmul: cacheB over batches, with one shared or one B per batch element", () => {
    forThreads(() => {
      for (const [batch, strideB] of [[3, 0], [3, 40 * 24], [2, 40 * 24]]) {
        const key = {};
        const c = gemmCase(30, 40, 24, { batch, strideA: 30 * 24, strideB, transB: true });
        checkGemm({ ...c, cacheB: { key, version: 1 } });
        checkGemm({ ...c, cacheB: { key, version: 1 } });
      }
    });
  });

  it("matmul: NaN and infinities propagate, huge values overflow like the reference", () => {
    for (const m of [3, 20]) {
      for (const transB of [false, true]) {
        const c = gemmCase(m, 37, 29, { transB });
        // NaN in A poisons its row; inf in B (against nonzero A) its column.
        checkGemm(c, (a, b) => {
          a[1 * 29 + 4] = NaN;
          b[transB ? 5 * 29 + 3 : 3 * 37 + 5] = Infinity;
        });
        // Same signs only: with mixed signs, where the sum first overflows depends on the order.
        checkGemm(c, (a, b) => {
          a.fill(1e30);
          b.fill(1e20);
        });
        checkGemm(c, (a, b) => {
          for (let i = 0; i < a.length; i++) a[i] *= 1e18;
          for (let i = 0; i < b.length; i++) b[i] *= 1e17;
        });
      }
    }
  });

  it("matmulHalfB: f16 and bf16 B (incl. subnormal, inf, NaN bits) against the js reference", () => {
    const f32 = new Float32Array(1);
    const u32 = new Uint32Array(f32.buffer);
    const halfBits = (kind: "f16" | "bf16", n: number, seed: number): Uint16Array => {
      const r = rng(seed);
      return Uint16Array.from({ length: n }, () => {
        if (kind === "bf16") {
          f32[0] = 2 * r() - 1;
          return u32[0] >>> 16;
        }
        // Sign, exponent 8..15 (|x| in [2^-7, 2)), random mantissa.
        return (r() < 0.5 ? 0x8000 : 0) | ((8 + Math.floor(r() * 8)) << 10) | Math.floor(r() * 1024);
      });
    };
    forThreads(() => {
      for (const kind of ["f16", "bf16"] as const) {
        for (const [m, n, k] of [[1, 1, 1], [1, 300, 70], [3, 33, 17], [9, 17, 400], [50, 600, 129], [0, 5, 5], [4, 6, 0]]) {
          for (const flags of [0, 1, 2, 3]) {
            for (const extra of [{}, { bias: randn(n, 5), accumulate: true }, { batch: 2, strideA: m * k, strideB: k * n }, { batch: 2, strideA: m * k, strideB: 0 }]) {
              const c = gemmCase(m, n, k, { transA: (flags & 1) === 1, transB: (flags & 2) === 2, ...extra });
              const a = randn(Math.max(c.batch * c.strideA, m * k), c.seed);
              const bits = halfBits(kind, Math.max(c.batch * c.strideB, k * n), c.seed + 1);
              if (bits.length > 7 && kind === "f16") {
                bits[3] = 0x0001; // smallest subnormal
                bits[5] = 0x83ff; // largest negative subnormal
              }
              const init = randn(c.batch * m * n, c.seed + 2);
              const got = init.slice();
              const want = init.slice();
              native!.matmulHalfB!(a, bits, kind, got, c);
              jsBackend.matmulHalfB(a, bits, kind, want, c);
              assertClose(got, want, 1e-5 * Math.max(1, k), 1e-5, `matmulHalfB ${kind} ${JSON.stringify({ m, n, k, flags, ...extra, bias: undefined })}`);
            }
          }
        }
      }
      // Infinities and NaN in B propagate.
      const c = gemmCase(2, 20, 10, { transB: true });
      const a = randn(20, 1);
      for (const [kind, special] of [["f16", 0x7c00], ["f16", 0x7e00], ["bf16", 0xff80], ["bf16", 0x7fc0]] as const) {
        const bits = halfBits(kind, 200, 2);
        bits[3 * 10 + 4] = special;
        const got = new Float32Array(40);
        const want = new Float32Array(40);
        native!.matmulHalfB!(a, bits, kind, got, c);
        jsBackend.matmulHalfB(a, bits, kind, want, c);
        assertClose(got, want, 1e-4, 1e-5, `matmulHalfB ${kind} special 0x${special.toString(16)}`);
        assert.ok(!Number.isFinite(got[3]), "the poisoned column is not finite");
      }
      assert.throws(() => native!.matmulHalfB!(a, new Uint16Array(199), "f16", new Float32Array(40), c), /bBits has 199/);
    });
  });

  it("matmul: rejects wrong lengths and bad sizes before touching memory", () => {
    const p = gemmCase(4, 5, 6);
    const out = new Float32Array(20);
    assert.throws(() => native!.matmul(new Float32Array(23), new Float32Array(30), out, p), /a has 23 elements/);
    assert.throws(() => native!.matmul(new Float32Array(24), new Float32Array(29), out, p), /b has 29 elements/);
    assert.throws(() => native!.matmul(new Float32Array(24), new Float32Array(30), new Float32Array(21), p), /out has 21/);
    assert.throws(() => native!.matmul(new Float32Array(24), new Float32Array(30), out, { ...p, bias: new Float32Array(4) }), /bias/);
    assert.throws(() => native!.matmul(new Float32Array(24), new Float32Array(30), out, { ...p, m: -1 }), /m must be/);
    assert.throws(() => native!.matmul(new Float32Array(24), new Float32Array(30), out, { ...p, k: 1.5 }), /k must be/);
    assert.throws(() => native!.setThreads(0), /positive integer/);
  });

  it("softmax: rows with -inf, all -inf, NaN, +inf and huge values", () => {
    forThreads(() => {
      for (const [rows, cols] of [[0, 3], [1, 1], [3, 7], [5, 8], [4, 9], [2, 100], [64, 1000]]) {
        const x = randn(rows * cols, rows + cols, 10);
        if (rows >= 3 && cols >= 3) {
          x[1] = -Infinity;
          for (let j = 0; j < cols; j++) x[cols + j] = -Infinity;
          x[2 * cols + 1] = NaN;
        }
        if (rows >= 4) x[3 * cols] = Infinity;
        if (rows >= 5) x[4 * cols + 2] = 3e38;
        const [got, want] = both(rows * cols, (be, out) => be.softmax(x, out, rows, cols));
        assertClose(got, want, 1e-6, 1e-5, `softmax ${rows}x${cols}`);
      }
    });
  });

  it("layerNorm and rmsNorm: with and without weight/bias, statistics out", () => {
    forThreads(() => {
      for (const [rows, cols] of [[1, 1], [5, 7], [3, 8], [100, 33], [64, 768]]) {
        for (const offset of [0, 1000]) {
          const x = randn(rows * cols, rows * cols, 2, offset);
          const w = randn(cols, 5);
          const b = randn(cols, 6);
          const tol = offset ? 1e-4 : 1e-5;
          for (const [weight, bias] of [[null, null], [w, null], [null, b], [w, b]]) {
            const stats = (be: PartialBackend, out: Float32Array) => {
              const mean = new Float32Array(rows);
              const rstd = new Float32Array(rows);
              be.layerNorm(x, weight, bias, out.subarray(0, rows * cols), rows, cols, 1e-5, mean, rstd);
              out.set(mean, rows * cols);
              out.set(rstd, rows * cols + rows);
            };
            const [got, want] = both(rows * cols + 2 * rows, stats);
            assertClose(got, want, tol, tol, `layerNorm ${rows}x${cols} offset ${offset}`);
          }
          for (const weight of [null, w]) {
            const [got, want] = both(rows * cols + rows, (be, out) => {
              const rstd = new Float32Array(rows);
              be.rmsNorm(x, weight, out.subarray(0, rows * cols), rows, cols, 1e-6, rstd);
              out.set(rstd, rows * cols);
            });
            assertClose(got, want, 1e-6, 1e-5, `rmsNorm ${rows}x${cols}`);
          }
        }
      }
      const [got, want] = both(6, (be, out) => be.layerNorm(randn(6, 1), null, null, out, 2, 3, 1e-5));
      assertClose(got, want, 1e-5, 1e-5, "layerNorm without statistics");
    });
  });

  it("activations: match the reference over a range, at ±inf, NaN and huge values", () => {
    const specials = [0, -0, 1e-30, -1e-30, 1e10, -1e10, 3e38, -3e38, Infinity, -Infinity, NaN, 88.8, -88.8, 104, -104];
    const grid = Array.from({ length: 8001 }, (_, i) => -20 + i * 0.005);
    const x = Float32Array.from([...specials, ...grid, ...randn(10007, 4, 6)]);
    forThreads(() => {
      for (const op of ["gelu", "geluTanh", "quickGelu", "silu"] as const) {
        for (const n of [x.length, 1, 7, 9]) {
          const xs = x.subarray(x.length - n);
          const [got, want] = both(n, (be, out) => be[op](xs, out));
          // 1e-6 absolute (the GELU spec), and ~2 ulp where |y| is large enough for that to be less.
          assertClose(got, want, 1e-6, 2.5e-7, `${op} n=${n}`);
        }
      }
    });
  });

  describe("backward kernels", () => {
    const ACTS = ["gelu", "geluTanh", "quickGelu", "silu"] as const;
    /** Shapes for the row kernels: empty, 1-sized, SIMD remainders, multi-threaded sizes. */
    const ROW_SHAPES = [
      [0, 3], [1, 1], [1, 7], [2, 8], [3, 9], [5, 15], [4, 16], [7, 17], [2, 100], [100, 33], [257, 128], [64, 768],
      [1000, 5], [3, 1],
    ];

    it("activationBackward: every activation over a range, at ±inf, NaN and huge values", () => {
      const specials = [0, -0, 1e-30, -1e-30, 1e10, -1e10, 3e38, -3e38, Infinity, -Infinity, NaN, 88.8, -88.8, 104, -104, 9.9, -9.9, 20.5, -20.5];
      const grid = Array.from({ length: 8001 }, (_, i) => -20 + i * 0.005);
      const x = Float32Array.from([...specials, ...grid, ...randn(10007, 7, 6)]);
      const g = randn(x.length, 8, 2);
      g[3] = NaN;
      g[specials.length + 5] = 1e30;
      g[specials.length + 6] = 0;
      forThreads(() => {
        for (const kind of ACTS) {
          for (const n of [x.length, 0, 1, 7, 8, 9, 31, 33, 17000]) {
            const xs = x.subarray(x.length - n);
            const gs = g.subarray(g.length - n);
            const [got, want] = both(n, (be, out) => be.activationBackward!(kind, xs, gs, out));
            // |g| <= 2: 2e-6 absolute is ~1 ulp of f'(x) ~ 1 times g.
            assertClose(got, want, 4e-6, 1e-5, `${kind} backward n=${n}`);
          }
        }
      });
    });

    it("softmaxBackward: rows with zeros (masked), NaN rows, every shape", () => {
      forThreads(() => {
        for (const [rows, cols] of ROW_SHAPES) {
          const x = randn(rows * cols, rows * 13 + cols, 4);
          if (rows >= 3 && cols >= 3) {
            x[1] = -Infinity;
            for (let j = 0; j < cols; j++) x[cols + j] = -Infinity; // y NaN everywhere in row 1
            x[2 * cols + 2] = NaN;
          }
          const y = new Float32Array(rows * cols);
          jsBackend.softmax(x, y, rows, cols);
          const g = randn(rows * cols, rows + 3 * cols, 3);
          if (rows >= 4 && cols >= 2) g[3 * cols + 1] = NaN;
          const [got, want] = both(rows * cols, (be, out) => be.softmaxBackward!(y, g, out, rows, cols));
          assertClose(got, want, 1e-6, 1e-5, `softmaxBackward ${rows}x${cols}`);
        }
      });
    });

    /** Forward statistics from the js reference, then both backwards from the same inputs. */
    function checkLayerNormBackward(rows: number, cols: number, offset: number, weight: Float32Array | null, wantW: boolean, wantB: boolean, tweak?: (x: Float32Array, g: Float32Array) => void) {
      const x = randn(rows * cols, rows * 31 + cols, 2, offset);
      const g = randn(rows * cols, rows + 7 * cols, 1);
      tweak?.(x, g);
      const mean = new Float32Array(rows);
      const rstd = new Float32Array(rows);
      jsBackend.layerNorm(x, weight, null, new Float32Array(rows * cols), rows, cols, 1e-5, mean, rstd);
      const size = rows * cols + 2 * cols;
      const [got, want] = both(size, (be, out) => {
        const dw = wantW ? out.subarray(rows * cols, rows * cols + cols) : null;
        const db = wantB ? out.subarray(rows * cols + cols) : null;
        // Garbage in the outputs: they must be overwritten, not accumulated into.
        dw?.fill(7);
        db?.fill(7);
        be.layerNormBackward!(x, weight, mean, rstd, g, out.subarray(0, rows * cols), dw, db, rows, cols);
      });
      const label = `layerNormBackward ${rows}x${cols} offset ${offset} w=${!!weight} dW=${wantW} dB=${wantB}`;
      const scale = Math.max(1, absMax(rstd));
      assertClose(got.subarray(0, rows * cols), want.subarray(0, rows * cols), 2e-5 * scale, 1e-4, `${label} dx`);
      assertClose(got.subarray(rows * cols), want.subarray(rows * cols), 2e-6 * Math.max(1, rows), 1e-4, `${label} dW/dB`);
    }

    it("layerNormBackward: every shape, with and without weight, dW and dB, offset inputs", () => {
      forThreads(() => {
        for (const [rows, cols] of ROW_SHAPES) {
          const w = randn(cols, cols + 1, 1.5);
          for (const offset of [0, 1000]) {
            checkLayerNormBackward(rows, cols, offset, w, true, true);
            checkLayerNormBackward(rows, cols, offset, null, false, false);
          }
          checkLayerNormBackward(rows, cols, 0, w, true, false);
          checkLayerNormBackward(rows, cols, 0, null, false, true);
        }
      });
    });

    it("layerNormBackward: NaN and infinities propagate like the reference", () => {
      forThreads(() => {
        for (const [rows, cols] of [[4, 9], [300, 64]]) {
          checkLayerNormBackward(rows, cols, 0, randn(cols, 2), true, true, (x, g) => {
            x[cols + 2] = NaN; // row 1: NaN statistics, so NaN dx in that row and NaN dW
            g[2 * cols + 3] = Infinity;
          });
        }
      });
    });

    it("layerNormBackward and rmsNormBackward: dW/dB do not depend on timing", () => {
      const [rows, cols] = [513, 96];
      const x = randn(rows * cols, 11, 2);
      const g = randn(rows * cols, 12, 1);
      const w = randn(cols, 13);
      const mean = new Float32Array(rows);
      const rstd = new Float32Array(rows);
      jsBackend.layerNorm(x, w, null, new Float32Array(rows * cols), rows, cols, 1e-5, mean, rstd);
      forThreads(() => {
        const runs = Array.from({ length: 5 }, () => {
          const dx = new Float32Array(rows * cols);
          const dw = new Float32Array(cols);
          const db = new Float32Array(cols);
          native!.layerNormBackward!(x, w, mean, rstd, g, dx, dw, db, rows, cols);
          const dx2 = new Float32Array(rows * cols);
          const dw2 = new Float32Array(cols);
          native!.rmsNormBackward!(x, w, rstd, g, dx2, dw2, rows, cols);
          return [dx, dw, db, dx2, dw2];
        });
        for (const r of runs.slice(1)) assert.deepEqual(r, runs[0]);
      });
    });

    it("rmsNormBackward: every shape, with and without weight and dW", () => {
      forThreads(() => {
        for (const [rows, cols] of ROW_SHAPES) {
          const x = randn(rows * cols, rows * 5 + cols, 2);
          if (rows >= 3 && cols >= 2) x[2 * cols + 1] = NaN;
          const g = randn(rows * cols, rows + 11 * cols, 1);
          const w = randn(cols, cols + 3, 1.5);
          for (const [weight, wantW] of [[w, true], [null, false], [w, false], [null, true]] as const) {
            const rstd = new Float32Array(rows);
            jsBackend.rmsNorm(x, weight, new Float32Array(rows * cols), rows, cols, 1e-6, rstd);
            const [got, want] = both(rows * cols + cols, (be, out) => {
              const dw = wantW ? out.subarray(rows * cols) : null;
              dw?.fill(7);
              be.rmsNormBackward!(x, weight, rstd, g, out.subarray(0, rows * cols), dw, rows, cols);
            });
            const label = `rmsNormBackward ${rows}x${cols} w=${!!weight} dW=${wantW}`;
            const scale = Math.max(1, absMax(rstd));
            assertClose(got.subarray(0, rows * cols), want.subarray(0, rows * cols), 2e-5 * scale, 1e-4, `${label} dx`);
            assertClose(got.subarray(rows * cols), want.subarray(rows * cols), 2e-6 * Math.max(1, rows), 1e-4, `${label} dW`);
          }
        }
      });
    });

    it("reject mismatched lengths and unknown activations", () => {
      const f = (n: number) => new Float32Array(n);
      assert.throws(() => native!.activationBackward!("gelu", f(4), f(3), f(4)), /gradOut has 3 elements, expected 4/);
      assert.throws(() => native!.activationBackward!("gelu", f(4), f(4), f(5)), /gradIn has 5/);
      assert.throws(() => native!.activationBackward!("relu" as never, f(4), f(4), f(4)), /unknown activation/);
      assert.throws(() => native!.softmaxBackward!(f(6), f(6), f(6), 2, 4), /y has 6/);
      assert.throws(
        () => native!.layerNormBackward!(f(6), f(2), f(2), f(2), f(6), f(6), null, null, 2, 3),
        /weight has 2/,
      );
      assert.throws(
        () => native!.layerNormBackward!(f(6), null, f(2), f(2), f(6), f(6), f(3), f(4), 2, 3),
        /gradBias has 4/,
      );
      assert.throws(() => native!.rmsNormBackward!(f(6), null, f(3), f(6), f(6), null, 2, 3), /rstd has 3/);
      assert.throws(() => native!.rmsNormBackward!(f(6), null, f(2), f(6), f(6), null, 2, 3.5), /cols must be/);
    });
  });

  it("sumRows: the js reference's bits (float64 sums in row order) for every shape, NaN and infinities", () => {
    forThreads(() => {
      for (const [rows, cols] of [[0, 5], [1, 1], [2, 3], [7, 16], [33, 17], [300, 257], [1000, 128], [5, 600], [2, 5000]]) {
        const x = randn(rows * cols, rows * 31 + cols);
        for (let i = 0; i < x.length; i += 7) x[i] *= 1e6; // cancellation, where float32 sums would differ
        if (rows > 2 && cols > 3) {
          x[cols + 1] = NaN;
          x[2] = Infinity;
          x[cols + 3] = -Infinity;
          x[2 * cols + 3] = Infinity;
        }
        const [got, want] = both(cols, (be, out) => be.sumRows!(x, out, rows, cols));
        assert.deepEqual(got, want, `sumRows ${rows} x ${cols}`);
      }
    });
    assert.throws(() => native!.sumRows!(new Float32Array(5), new Float32Array(3), 2, 3), /x has 5/);
    assert.throws(() => native!.sumRows!(new Float32Array(6), new Float32Array(2), 2, 3), /out has 2/);
  });

  it("adamwStep: the js reference's bits (no fused multiply-add) for every length, with and without decay", () => {
    const f = Math.fround;
    forThreads(() => {
      for (const n of [0, 1, 7, 8, 9, 100, 1023, 5000, 70001]) {
        for (const [step, decay] of [[1, f(1 - 1e-3 * 0.1)], [7, 1]]) {
          const lr = 1e-3, b1 = 0.9, b2 = 0.999;
          const h = {
            decay, beta1: f(b1), beta2: f(b2), oneMinusBeta1: f(1 - b1), oneMinusBeta2: f(1 - b2),
            stepSize: f(-(lr / (1 - b1 ** step))), bc2Sqrt: f(Math.sqrt(1 - b2 ** step)), eps: f(1e-8),
          };
          const p = randn(n, n + 1), g = randn(n, n + 2), m = randn(n, n + 3).map((x) => x * 0.1);
          const v = randn(n, n + 4).map((x) => x * x * 0.01);
          if (n > 8) {
            g[0] = 0; m[0] = 0; v[0] = 0; // denominator eps alone
            g[1] = NaN; g[2] = Infinity; p[3] = -Infinity; g[4] = 1e30; g[5] = 1e-30;
          }
          const want = [p, g, m, v].map((a) => a.slice());
          jsBackend.adamwStep(want[0], want[1], want[2], want[3], h);
          const got = [p, g, m, v].map((a) => a.slice());
          native!.adamwStep!(got[0], got[1], got[2], got[3], h);
          for (const [i, name] of ["p", "g", "m", "v"].entries()) assert.deepEqual(got[i], want[i], `adamwStep ${name} n=${n} step=${step}`);
        }
      }
    });
    const h = { decay: 1, beta1: 0.9, beta2: 0.999, oneMinusBeta1: 0.1, oneMinusBeta2: 0.001, stepSize: -1e-3, bc2Sqrt: 1, eps: 1e-8 };
    assert.throws(() => native!.adamwStep!(new Float32Array(4), new Float32Array(3), new Float32Array(4), new Float32Array(4), h), /g has 3/);
  });

  it("add: the js reference's bits for every length, in place, with NaN and infinities", () => {
    forThreads(() => {
      for (const n of [0, 1, 7, 8, 17, 100, 16385, 100003]) {
        const a = randn(n, n + 1, 1e3);
        const b = randn(n, n + 2, 1e-3);
        if (n > 7) [a[1], b[2], a[3], b[3], a[4], b[4]] = [NaN, NaN, Infinity, -Infinity, 3e38, 3e38];
        const [got, want] = both(n, (be, out) => be.add!(a, b, out));
        assert.deepEqual(got, want, `add n=${n}`);
        const inPlace = a.slice();
        native!.add!(inPlace, b, inPlace);
        assert.deepEqual(inPlace, want, `add in place n=${n}`);
      }
    });
  });

  it("elementwise and norm kernels reject mismatched lengths", () => {
    assert.throws(() => native!.add!(new Float32Array(4), new Float32Array(3), new Float32Array(4)), /b has 3 elements/);
    assert.throws(() => native!.gelu(new Float32Array(4), new Float32Array(3)), /out has 3 elements, expected 4/);
    assert.throws(() => native!.softmax(new Float32Array(6), new Float32Array(6), 2, 4), /x has 6/);
    assert.throws(
      () => native!.layerNorm(new Float32Array(6), new Float32Array(2), null, new Float32Array(6), 2, 3, 1e-5),
      /weight has 2/,
    );
  });

  describe("attention", () => {
    /** Random q, k, v of the sizes `p` describes, each from its own seed. */
    function randomQkv(p: AttentionParams, seeds: [q: number, k: number, v: number]): [Float32Array, Float32Array, Float32Array] {
      return [
        randn(p.batch * p.heads * p.lq * p.headDim, seeds[0]),
        randn(p.batch * p.kvHeads * p.lk * p.headDim, seeds[1]),
        randn(p.batch * p.kvHeads * p.lk * p.headDim, seeds[2]),
      ];
    }

    /** The parameters as a failure message shows them (the mask as "yes", not its values). */
    const describeParams = (p: AttentionParams): string => JSON.stringify({ ...p, mask: p.mask ? "yes" : undefined });

    function checkAttention(p: AttentionParams, seed: number, tweak?: (q: Float32Array, k: Float32Array, v: Float32Array) => void) {
      const [q, k, v] = randomQkv(p, [seed, seed + 1, seed + 2]);
      tweak?.(q, k, v);
      const [got, want] = both(p.batch * p.heads * p.lq * p.headDim, (be, out) => be.attention(q, k, v, out, p));
      assertClose(got, want, 1e-5, 1e-5, `attention ${describeParams(p)}`);
    }

    const base = (extra: Partial<AttentionParams>): AttentionParams => ({
      batch: 2, heads: 3, kvHeads: 3, lq: 5, lk: 5, headDim: 8, scale: 0.35, causal: false, ...extra,
    });

    it("plain, causal (lq < lk and lq > lk), odd head sizes, 1 and 2 threads", () => {
      forThreads(() => {
        for (const headDim of [1, 3, 8, 20, 64, 72, 100]) {
          checkAttention(base({ headDim }), headDim);
          checkAttention(base({ headDim, causal: true, lq: 3, lk: 7 }), headDim + 1);
          checkAttention(base({ headDim, causal: true, lq: 6, lk: 4 }), headDim + 2);
        }
        checkAttention(base({ batch: 2, heads: 12, kvHeads: 12, lq: 50, lk: 50, headDim: 64, scale: 0.125 }), 7);
        checkAttention(base({ batch: 1, heads: 2, kvHeads: 1, lq: 1, lk: 301, headDim: 64, causal: true }), 8);
        checkAttention(base({ lq: 0 }), 9);
        checkAttention(base({ lk: 0, lq: 0 }), 10);
      });
    });

    it("grouped-query attention", () => {
      forThreads(() => {
        checkAttention(base({ heads: 8, kvHeads: 2, lq: 9, lk: 13, headDim: 16 }), 11);
        checkAttention(base({ heads: 8, kvHeads: 1, lq: 4, lk: 17, headDim: 24, causal: true }), 12);
      });
    });

    it("additive masks broadcast over batch and heads; -inf hides keys; fully masked rows are NaN", () => {
      forThreads(() => {
        const lq = 6;
        const lk = 11;
        for (const [maskBatch, maskHeads] of [[1, 1], [2, 1], [1, 3], [2, 3]]) {
          const mask = randn(maskBatch * maskHeads * lq * lk, maskBatch * 10 + maskHeads);
          for (let i = 0; i < mask.length; i += 3) mask[i] = -Infinity;
          for (let j = 0; j < lk; j++) mask[2 * lk + j] = -Infinity; // row 2 of the first block: all hidden
          for (const causal of [false, true]) {
            checkAttention(base({ lq, lk, headDim: 12, causal, mask, maskBatch, maskHeads }), 13);
          }
        }
      });
    });

    it("NaN in q, k or v propagates like the reference", () => {
      const p = base({ lq: 4, lk: 9, headDim: 16 });
      checkAttention(p, 14, (q) => (q[3] = NaN));
      checkAttention(p, 15, (_q, k) => (k[16 * 2 + 1] = NaN));
      checkAttention(p, 16, (_q, _k, v) => (v[16 * 5 + 7] = NaN));
      // Large scores; not much larger: the reference takes the max of unrounded (double) scores
      // but exponentiates the float32-rounded ones, which turns into inf/NaN beyond ~1e8.
      checkAttention(p, 17, (q) => (q[0] = 1000));
    });

    it("blhd layout ([B, L, H, D] in place): plain, causal, grouped-query, masks, against js and against bhld", () => {
      assert.deepEqual(native!.attentionLayouts, ["bhld", "blhd"]);
      // [B, L, H, D] <-> [B, H, L, D]
      const toHeads = (x: Float32Array, b: number, l: number, h: number, d: number, back = false) => {
        const y = new Float32Array(x.length);
        for (let bi = 0; bi < b; bi++) {
          for (let i = 0; i < l; i++) {
            for (let hi = 0; hi < h; hi++) {
              const blhd = ((bi * l + i) * h + hi) * d;
              const bhld = ((bi * h + hi) * l + i) * d;
              for (let t = 0; t < d; t++) {
                if (back) y[blhd + t] = x[bhld + t];
                else y[bhld + t] = x[blhd + t];
              }
            }
          }
        }
        return y;
      };
      forThreads(() => {
        const lq = 6;
        const lk = 11;
        const mask = randn(2 * 4 * lq * lk, 77);
        for (let i = 0; i < mask.length; i += 4) mask[i] = -Infinity;
        const cases: Partial<AttentionParams>[] = [
          { headDim: 8 },
          { headDim: 20, heads: 4, kvHeads: 4, lq: 7, lk: 7 },
          { headDim: 64, heads: 12, kvHeads: 12, lq: 50, lk: 50, scale: 0.125 },
          { headDim: 72, causal: true, lq: 3, lk: 9 },
          { headDim: 16, causal: true, lq: 6, lk: 4 },
          { headDim: 16, heads: 8, kvHeads: 2, lq: 9, lk: 13 },
          { headDim: 24, heads: 8, kvHeads: 1, lq: 4, lk: 17, causal: true },
          { headDim: 12, heads: 4, kvHeads: 2, lq, lk, mask, maskBatch: 2, maskHeads: 4 },
          { headDim: 12, heads: 4, kvHeads: 4, lq, lk, mask: mask.subarray(0, 4 * lq * lk), maskBatch: 1, maskHeads: 4, causal: true },
          { lq: 0 },
        ];
        for (const [n, extra] of cases.entries()) {
          const p = base({ ...extra, layout: "blhd" });
          const [q, k, v] = randomQkv(p, [100 + n, 200 + n, 300 + n]);
          const label = `attention blhd ${describeParams(p)}`;
          const [got, want] = both(q.length, (be, out) => be.attention(q, k, v, out, p));
          assertClose(got, want, 1e-5, 1e-5, label);
          const heads = new Float32Array(q.length);
          native!.attention(
            toHeads(q, p.batch, p.lq, p.heads, p.headDim), toHeads(k, p.batch, p.lk, p.kvHeads, p.headDim),
            toHeads(v, p.batch, p.lk, p.kvHeads, p.headDim), heads, { ...p, layout: "bhld" },
          );
          assert.deepEqual(got, toHeads(heads, p.batch, p.lq, p.heads, p.headDim, true), label);
        }
      });
    });

    it("softmax weights (probs) and attentionBackward in both layouts: causal, grouped-query, masks, odd head sizes", () => {
      const lq = 6;
      const lk = 11;
      const mask = randn(2 * 4 * lq * lk, 78);
      for (let i = 0; i < mask.length; i += 5) mask[i] = -Infinity;
      const cases: Partial<AttentionParams>[] = [
        { headDim: 8 },
        { headDim: 64, heads: 2, kvHeads: 2, lq: 65, lk: 65, scale: 0.125 },
        { headDim: 72, causal: true, lq: 9, lk: 9 },
        { headDim: 100, causal: true, lq: 3, lk: 9 },
        { headDim: 16, causal: true, lq: 6, lk: 4 },
        { headDim: 3, heads: 8, kvHeads: 2, lq: 9, lk: 13 },
        { headDim: 24, heads: 8, kvHeads: 1, lq: 4, lk: 17, causal: true },
        { headDim: 12, heads: 4, kvHeads: 2, lq, lk, mask, maskBatch: 2, maskHeads: 4 },
        { headDim: 40, heads: 4, kvHeads: 4, lq, lk, mask: mask.subarray(0, 4 * lq * lk), maskBatch: 1, maskHeads: 4, causal: true },
        { lq: 0 },
        { lk: 0, lq: 0 },
      ];
      for (const layout of ["bhld", "blhd"] as const) {
        for (const [n, extra] of cases.entries()) {
          const p = base({ ...extra, layout });
          const label = `attention ${layout} ${describeParams(p)}`;
          const [q, k, v] = randomQkv(p, [400 + n, 500 + n, 600 + n]);
          const gradOut = randn(q.length, 700 + n);
          const probsSize = p.batch * p.heads * p.lq * p.lk;
          const wantProbs = new Float32Array(probsSize);
          const wantOut = new Float32Array(q.length);
          jsBackend.attention(q, k, v, wantOut, { ...p, probs: wantProbs });
          const want = [new Float32Array(q.length), new Float32Array(k.length), new Float32Array(v.length)] as const;
          jsBackend.attentionBackward(q, k, v, wantProbs, gradOut, ...want, p);
          const byThreads: Float32Array[][] = [];
          forThreads(() => {
            const probs = new Float32Array(probsSize).fill(NaN);
            const out = new Float32Array(q.length);
            native!.attention(q, k, v, out, { ...p, probs });
            assertClose(out, wantOut, 1e-5, 1e-5, `${label} out`);
            assertClose(probs, wantProbs, 1e-6, 1e-5, `${label} probs`);
            // Gradient buffers start dirty: the kernel overwrites them.
            const got = [randn(q.length, 1), randn(k.length, 2), randn(v.length, 3)] as const;
            native!.attentionBackward!(q, k, v, wantProbs, gradOut, ...got, p);
            for (const [i, name] of ["gradQ", "gradK", "gradV"].entries()) {
              assertClose(got[i], want[i], 2e-5, 1e-4, `${label} ${name}`);
            }
            byThreads.push([probs, ...got]);
          });
          // Each key/value head has one writer: results do not depend on the thread count.
          assert.deepEqual(byThreads[0], byThreads[1], `${label}: 1 vs 2 threads`);
        }
      }
    });

    it("rejects inconsistent shapes", () => {
      const p = base({});
      const q = new Float32Array(2 * 3 * 5 * 8);
      assert.throws(() => native!.attention(q, q, q, q, { ...p, kvHeads: 2 }), /multiple of kvHeads/);
      assert.throws(() => native!.attention(q, q, q, q, { ...p, mask: new Float32Array(25), maskBatch: 3 }), /mask/);
      assert.throws(() => native!.attention(q, q.subarray(1), q, q, p), /k has/);
      assert.throws(() => native!.attention(q, q, q, q, { ...p, probs: new Float32Array(2 * 3 * 5 * 5 - 1) }), /probs has/);
      const probs = new Float32Array(2 * 3 * 5 * 5);
      assert.throws(() => native!.attentionBackward!(q, q, q, probs.subarray(1), q, q, q, q, p), /probs has/);
      assert.throws(() => native!.attentionBackward!(q, q, q, probs, q, q, q.subarray(1), q, p), /gradK has/);
      assert.throws(() => native!.attentionBackward!(q, q, q, probs, q, q, q, q, { ...p, kvHeads: 2 }), /multiple of kvHeads/);
    });
  });
});

// The kernels above ran on the best ISA of this CPU; rerun the file pinned to each slower path
// that the CPU supports, so that the AVX2 and portable code is tested here too.
const pinned = process.env.VLM_ISA;
describe("native backend on the slower instruction sets", { skip: skip || (pinned ? "pinned run" : false) }, () => {
  const isa = native ? nativeInfo().isa : "portable";
  const slower = isa === "avx512" ? ["avx2", "portable"] : isa === "avx2" ? ["portable"] : [];
  for (const target of slower) {
    it(`VLM_ISA=${target}`, () => {
      // Without NODE_TEST_CONTEXT, or the child reports to a parent runner and exits 0 on failure.
      const { NODE_TEST_CONTEXT: _, ...env } = process.env;
      const run = spawnSync(
        process.execPath, ["--import", "tsx", "--test", "--test-reporter=dot", fileURLToPath(import.meta.url)],
        { env: { ...env, VLM_ISA: target }, encoding: "utf8" },
      );
      assert.equal(run.status, 0, `VLM_ISA=${target} run failed:\n${run.stdout}\n${run.stderr}`);
    });
  }
});
