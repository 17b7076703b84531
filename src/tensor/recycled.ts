/**
 * Float32 storage recycled within one backward pass. A training step allocates about as much
 * for intermediate gradients as for activations (hundreds of megabytes for the shipped CLIP at
 * batch 128), and every fresh array costs page faults and the external-memory pressure that
 * makes V8 run another full GC. The autograd engine hands back the storage of a gradient it
 * owned once nothing can see it; fused backward rules whose kernels overwrite every element of
 * their outputs take them from here. Dropped when the backward pass ends: nothing is kept
 * between steps.
 */
const spare = new Map<number, Float32Array[]>();

/** n float32 elements with arbitrary contents: for outputs the caller overwrites entirely. */
export function takeFloat32(n: number): Float32Array {
  return spare.get(n)?.pop() ?? new Float32Array(n);
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
