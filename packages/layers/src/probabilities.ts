import { SparseRows, softmax } from '@sprout/tensor';
import type { Sequential } from './sequential.js';

/**
 * Class probabilities (softmax of the logits) of `count` images of `pixels` bytes each (scaled by
 * 1/255, as in training), row by row: `count × classes` floats.
 *
 * @example
 * ```ts
 * const p = probabilities(model, mnist.test.images.subarray(0, 784), 1, 784);
 * const best = p.indexOf(Math.max(...p));
 * ```
 */
export function probabilities(
  model: Sequential,
  images: Uint8Array,
  count: number,
  pixels: number,
  batchSize = 1000,
): Float32Array {
  const backend = model.denseLayers[0].backend;
  const classes = model.widths[model.widths.length - 1];
  const out = new Float32Array(count * classes);
  const x = new SparseRows(backend);
  try {
    for (let start = 0; start < count; start += batchSize) {
      const n = Math.min(batchSize, count - start);
      x.set(images.subarray(start * pixels, (start + n) * pixels), n, pixels);
      const p = softmax(model.forward(x));
      out.set(p.toArray(), start * classes);
      p.dispose();
    }
  } finally {
    x.dispose();
  }
  return out;
}
