import { argmaxRows, fromArray, SparseRows, type Tensor } from '@sprout/tensor';
import type { LayerInput } from './layer.js';
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
  const x = new SparseRows(model.denseLayers[0].backend);
  try {
    return evaluateBatches(model, labels, count, batchSize, (start, n) =>
      x.set(images.subarray(start * pixels, (start + n) * pixels), n, pixels),
    );
  } finally {
    x.dispose();
  }
}

/**
 * Evaluates a classifier on `count` rows of `features` floats each (`x`, row after row, as the
 * model takes them: standardised if it was trained so), in batches — the dense product.
 *
 * @example
 * ```ts
 * const { accuracy } = evaluateFeatures(model, test.x, test.labels, test.count, test.features);
 * ```
 */
export function evaluateFeatures(
  model: Sequential,
  x: Float32Array,
  labels: ArrayLike<number>,
  count: number,
  features: number,
  batchSize = 1000,
): Evaluation {
  return evaluateBatches(model, labels, count, batchSize, (start, n) =>
    featureBatch(model, x, start, n, features),
  );
}

/** `n` rows from `start` as a dense `[n, features]` tensor on the model's backend (dispose it). */
export function featureBatch(
  model: Sequential,
  x: Float32Array,
  start: number,
  n: number,
  features: number,
): Tensor {
  return fromArray(model.denseLayers[0].backend, x.subarray(start * features, (start + n) * features), [
    n,
    features,
  ]);
}

function evaluateBatches(
  model: Sequential,
  labels: ArrayLike<number>,
  count: number,
  batchSize: number,
  load: (start: number, n: number) => LayerInput,
): Evaluation {
  const loss = new SoftmaxCrossEntropy();
  const predictions = new Int32Array(count);
  let total = 0;
  let correct = 0;
  try {
    for (let start = 0; start < count; start += batchSize) {
      const n = Math.min(batchSize, count - start);
      const x = load(start, n);
      let logits: Tensor;
      try {
        logits = model.forward(x);
      } finally {
        if (!(x instanceof SparseRows)) x.dispose();
      }
      const batchLabels = Array.prototype.slice.call(labels, start, start + n) as number[];
      total += loss.value(logits, batchLabels) * n;
      const pred = argmaxRows(logits);
      for (let i = 0; i < n; i++) {
        predictions[start + i] = pred[i];
        if (pred[i] === batchLabels[i]) correct++;
      }
    }
  } finally {
    loss.dispose();
  }
  return { loss: count ? total / count : 0, accuracy: count ? correct / count : 0, predictions };
}
