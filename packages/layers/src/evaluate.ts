import { argmaxRows, SparseRows } from '@sprout/tensor';
import type { Sequential } from './sequential.js';
import { SoftmaxCrossEntropy } from './softmaxCrossEntropyLoss.js';

/** Loss, accuracy and predictions of a model on byte images. */
export interface Evaluation {
  loss: number;
  accuracy: number;
  predictions: Int32Array;
}

/**
 * Evaluates a classifier on `count` images of `pixels` bytes each (scaled by 1/255), in batches.
 *
 * @example
 * ```ts
 * const { accuracy } = evaluate(model, mnist.test.images, mnist.test.labels, 10000, 784);
 * ```
 */
export function evaluate(
  model: Sequential,
  images: Uint8Array,
  labels: ArrayLike<number>,
  count: number,
  pixels: number,
  batchSize = 1000,
): Evaluation {
  const backend = model.denseLayers[0].backend;
  const x = new SparseRows(backend);
  const loss = new SoftmaxCrossEntropy();
  const predictions = new Int32Array(count);
  let total = 0;
  let correct = 0;
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    x.set(images.subarray(start * pixels, (start + n) * pixels), n, pixels);
    const logits = model.forward(x);
    const batchLabels = Array.prototype.slice.call(labels, start, start + n) as number[];
    total += loss.value(logits, batchLabels) * n;
    const pred = argmaxRows(logits);
    for (let i = 0; i < n; i++) {
      predictions[start + i] = pred[i];
      if (pred[i] === batchLabels[i]) correct++;
    }
  }
  x.dispose();
  loss.dispose();
  return { loss: count ? total / count : 0, accuracy: count ? correct / count : 0, predictions };
}
