import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { AttentionParams, Backend, OptionalKernel, PartialBackend } from "./backend.js";
import { completeBackend } from "./complete.js";
import { availableBackends, backendNamed } from "./index.js";
import { jsBackend } from "./js/index.js";

const OPTIONAL: OptionalKernel[] = [
  "add", "matmulHalfB", "activationBackward", "layerNormBackward", "rmsNormBackward", "attentionBackward",
  "softmaxBackward", "sumRows", "adamwStep",
];

/** jsBackend's kernels, each logging `${who}.${kernel}` when called. */
function logged(who: string, calls: string[]): Backend {
  const out: Record<string, unknown> = { name: jsBackend.name };
  for (const [key, value] of Object.entries(jsBackend)) {
    out[key] = typeof value === "function"
      ? (...args: unknown[]) => {
          calls.push(`${who}.${key}`);
          return (value as (...a: unknown[]) => unknown)(...args);
        }
      : value;
  }
  return out as unknown as Backend;
}

/** A native-like partial backend: only the `keep` optional kernels, attention read in `layouts`. */
function partial(calls: string[], keep: OptionalKernel[], layouts?: Array<"bhld" | "blhd">): PartialBackend {
  const own: Partial<Record<keyof Backend, unknown>> = { ...logged("own", calls), name: "native" };
  for (const kernel of OPTIONAL) if (!keep.includes(kernel)) delete own[kernel];
  return { ...(own as PartialBackend), attentionLayouts: layouts };
}

const attentionCase = (layout: "bhld" | "blhd", probs: boolean) => {
  const [b, h, l, d] = [1, 2, 3, 4];
  const x = Float32Array.from({ length: b * h * l * d }, (_, i) => Math.sin(i));
  const p: AttentionParams = {
    batch: b, heads: h, kvHeads: h, lq: l, lk: l, headDim: d, scale: 0.5, causal: true, layout,
    probs: probs ? new Float32Array(b * h * l * l) : undefined,
  };
  return { x, p, out: () => new Float32Array(x.length) };
};

describe("completeBackend", () => {
  test("the backend's own kernels where it has them, the reference's for the rest", () => {
    const calls: string[] = [];
    const own = partial(calls, ["add", "sumRows"]);
    const reference = logged("ref", calls);
    const backend = completeBackend(own, reference);
    assert.equal(backend.name, "native");
    assert.equal(backend.add, own.add);
    assert.equal(backend.sumRows, own.sumRows);
    assert.equal(backend.matmul, own.matmul);
    for (const kernel of ["matmulHalfB", "activationBackward", "layerNormBackward", "rmsNormBackward", "softmaxBackward", "adamwStep"] as const) {
      assert.equal(backend[kernel], reference[kernel], kernel);
    }
    const y = Float32Array.of(0.25, 0.75);
    const dx = new Float32Array(2);
    backend.softmaxBackward(y, Float32Array.of(1, -1), dx, 1, 2);
    backend.add(y, y, new Float32Array(2));
    assert.deepEqual(calls, ["ref.softmaxBackward", "own.add"]);
    assert.deepEqual(Array.from(dx), [0.375, -0.375]);
  });

  test("attention: a layout the backend does not read runs on the reference, in both directions", () => {
    const calls: string[] = [];
    const backend = completeBackend(partial(calls, ["attentionBackward"], ["bhld"]), logged("ref", calls));
    for (const probs of [false, true]) {
      const { x, p, out } = attentionCase("blhd", probs);
      backend.attention(x, x, x, out(), p);
      if (probs) backend.attentionBackward(x, x, x, p.probs!, x, out(), out(), out(), p);
    }
    const bhld = attentionCase("bhld", true);
    backend.attention(bhld.x, bhld.x, bhld.x, bhld.out(), bhld.p);
    backend.attentionBackward(bhld.x, bhld.x, bhld.x, bhld.p.probs!, bhld.x, bhld.out(), bhld.out(), bhld.out(), bhld.p);
    assert.deepEqual(calls, [
      "ref.attention", "ref.attention", "ref.attentionBackward", "own.attention", "own.attentionBackward",
    ]);
  });

  test("attention: without its own backward, training saves the weights on the reference, inference stays own", () => {
    const calls: string[] = [];
    const backend = completeBackend(partial(calls, [], ["bhld", "blhd"]), logged("ref", calls));
    for (const layout of ["bhld", "blhd"] as const) {
      const inference = attentionCase(layout, false);
      backend.attention(inference.x, inference.x, inference.x, inference.out(), inference.p);
      const { x, p, out } = attentionCase(layout, true);
      const y = out();
      backend.attention(x, x, x, y, p);
      backend.attentionBackward(x, x, x, p.probs!, x, out(), out(), out(), p);
      // Either backend gives the js reference's values here: both are jsBackend underneath.
      const want = out();
      jsBackend.attention(x, x, x, want, p);
      assert.deepEqual(y, want);
    }
    assert.deepEqual(calls, [
      "own.attention", "ref.attention", "ref.attentionBackward", "own.attention", "ref.attention", "ref.attentionBackward",
    ]);
  });
});

test("every available backend has every kernel the js reference has", () => {
  const kernels = Object.keys(jsBackend).filter((k) => typeof jsBackend[k as keyof Backend] === "function");
  for (const k of OPTIONAL) assert.ok(kernels.includes(k), `js lacks ${k}`);
  for (const name of availableBackends()) {
    const backend = backendNamed(name);
    assert.equal(backend.name, name);
    for (const k of kernels) assert.equal(typeof backend[k as keyof Backend], "function", `${name}.${k}`);
  }
});
