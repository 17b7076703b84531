/**
 * Float32 storage recycled within one backward pass. A training step allocates about as much
 * for intermediate gradients as for activations (hundreds of megabytes for the shipped CLIP at
 * batch 128), and every fresh array costs page faults and the external-memory pressure that
 * makes V8 run another full GC. The autograd engine hands back the storage of a gradient it
 * owned once nothing can see it; fused backward rules whose kernels overwrite every element of
 * their outputs take them from here (forward ops too, for the unzeroed fresh storage). Dropped
 * when the backward pass ends: nothing is kept between steps.
 */
const spare = new Map<number, Float32Array[]>();

/**
 * Fresh storage that is not zeroed first. Node hands it out through Buffer.allocUnsafeSlow (one
 * ArrayBuffer of exactly n floats, not the shared pool); elsewhere (a browser) it comes zeroed.
 * Zeroing the forward activations of a CLIP training step cost ~35 ms of a 1.3 s step.
 */
const unzeroed: (n: number) => Float32Array =
  typeof Buffer === "function"
    ? (n) => {
      const bytes = Buffer.allocUnsafeSlow(n * Float32Array.BYTES_PER_ELEMENT);
      return new Float32Array(bytes.buffer, bytes.byteOffset, n);
    }
    : (n) => new Float32Array(n);

/**
 * n float32 elements with arbitrary contents, for outputs the caller overwrites entirely: the
 * forward outputs of linear, matmul, norms, activations, attention and residual sums, and the
 * fused backward rules' gradients. A spare array during a backward pass, else unzeroed storage.
 */
export function takeFloat32(n: number): Float32Array {
  return spare.get(n)?.pop() ?? unzeroed(n);
}

/** Storage that nothing references any more, for the next `takeFloat32` of its length. */
export function recycleFloat32(data: Float32Array): void {
  const list = spare.get(data.length);
  if (list) list.push(data);
  else spare.set(data.length, [data]);
}

/** Lets the garbage collector have every spare array (the end of a backward pass). */
export function dropRecycled(): void {
  spare.clear();
}
