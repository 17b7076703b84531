/**
 * A toy image task that needs spatial reasoning, for the engine demo and learning tests:
 * grayscale images with one bright bar, labelled by its orientation. A model that only counts
 * pixels cannot solve it; a patch-based transformer must relate patches to each other.
 */
import { Generator } from "../tensor/random.js";
import { Tensor } from "../tensor/tensor.js";

export const BAR_CLASSES = ["horizontal", "vertical", "diagonal", "anti-diagonal"] as const;

export interface BarBatch {
  /** [N, 1, size, size], background noise around 0, bar pixels near 1. */
  images: Tensor;
  /** [N] int32 class indices into BAR_CLASSES. */
  labels: Tensor;
}

/** Draws `count` images of `size` x `size` pixels from `generator`. */
export function makeBars(count: number, size: number, generator: Generator, noise = 0.15): BarBatch {
  const pixels = new Float32Array(count * size * size);
  const labels = new Int32Array(count);
  for (let n = 0; n < count; n++) {
    const label = generator.int(BAR_CLASSES.length);
    labels[n] = label;
    const base = n * size * size;
    for (let i = 0; i < size * size; i++) pixels[base + i] = noise * generator.normal();
    // Random position and length, so neither location nor brightness gives the class away.
    const length = Math.max(3, Math.floor(size / 2) + generator.int(Math.ceil(size / 2)));
    const start = generator.int(size - length + 1);
    const offset = generator.int(size);
    for (let t = 0; t < length; t++) {
      let y: number;
      let x: number;
      if (label === 0) [y, x] = [offset, start + t];
      else if (label === 1) [y, x] = [start + t, offset];
      else if (label === 2) [y, x] = [start + t, (offset + t) % size];
      else [y, x] = [start + t, (size - 1 - ((offset + t) % size))];
      pixels[base + y * size + x] += 1;
    }
  }
  return { images: new Tensor(pixels, [count, 1, size, size]), labels: new Tensor(labels, [count]) };
}
