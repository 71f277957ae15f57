import { SparseRows, softmax, type Tensor } from '@sprout/tensor';
import { featureBatch } from './evaluate.js';
import type { LayerInput } from './layer.js';
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
  const x = new SparseRows(model.denseLayers[0].backend);
  try {
    return probabilityBatches(model, count, batchSize, (start, n) =>
      x.set(images.subarray(start * pixels, (start + n) * pixels), n, pixels),
    );
  } finally {
    x.dispose();
  }
}

/**
 * Class probabilities of `count` rows of `features` floats (as the model takes them: standardised
 * if it was trained so): `count × classes` floats.
 *
 * @example
 * ```ts
 * const p = featureProbabilities(model, Float32Array.of(0.3, -1.2, 0.8), 1, 3);
 * ```
 */
export function featureProbabilities(
  model: Sequential,
  x: Float32Array,
  count: number,
  features: number,
  batchSize = 1000,
): Float32Array {
  return probabilityBatches(model, count, batchSize, (start, n) =>
    featureBatch(model, x, start, n, features),
  );
}

function probabilityBatches(
  model: Sequential,
  count: number,
  batchSize: number,
  load: (start: number, n: number) => LayerInput,
): Float32Array {
  const classes = model.widths[model.widths.length - 1];
  const out = new Float32Array(count * classes);
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    const x = load(start, n);
    let p: Tensor;
    try {
      p = softmax(model.forward(x));
    } finally {
      if (!(x instanceof SparseRows)) x.dispose();
    }
    out.set(p.toArray(), start * classes);
    p.dispose();
  }
  return out;
}
