import type { CroppedImages } from '@sprout/data-mnist';
import { gatherRows } from '@sprout/data-mnist/browser';
import { type Evaluation, evaluate, evaluateFeatures, featureBatch, type Sequential } from '@sprout/layers';

/** Rows of float features with their class ids (a `FeatureTable` is one). */
export interface FeatureRows {
  readonly kind: 'features';
  x: Float32Array;
  labels: Uint8Array;
  count: number;
  features: number;
  /** Regression: each row's target (standardised in a run). */
  targets?: Float64Array;
}

/** Byte images with their class ids, expanded. */
export interface ImageRows {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}

/** What a run trains on: images (cropped to their ink) or feature rows. */
export type TrainRows = CroppedImages | FeatureRows;

/** True for feature rows (tabular data), false for images. */
export function isFeatureRows<T extends object>(set: T | FeatureRows): set is FeatureRows {
  return 'kind' in set && set.kind === 'features';
}

/** Inputs of a model for this training set: pixels or features. */
export function inputsOf(train: TrainRows): number {
  return isFeatureRows(train) ? train.features : train.rows * train.cols;
}

/** The training set's examples at `index`, expanded, as an evaluation set. */
export function gatherExamples(train: TrainRows, index: Int32Array): FeatureRows | ImageRows {
  if (isFeatureRows(train))
    return { kind: 'features', features: train.features, ...gatherRows(train, index) };
  const size = train.rows * train.cols;
  const images = new Uint8Array(index.length * size);
  for (let i = 0; i < index.length; i++) train.expandInto(index[i], images, i * size);
  return { images, labels: Uint8Array.from(index, (k) => train.labels[k]), count: index.length };
}

/** The first `count` examples of a set (views, not copies). */
export function firstExamples<T extends FeatureRows | ImageRows>(set: T, count: number, inputs: number): T {
  const n = Math.min(count, set.count);
  if (isFeatureRows(set))
    return {
      ...set,
      x: set.x.subarray(0, n * inputs),
      labels: set.labels.subarray(0, n),
      ...(set.targets ? { targets: set.targets.subarray(0, n) } : {}),
      count: n,
    };
  return { ...set, images: set.images.subarray(0, n * inputs), labels: set.labels.subarray(0, n), count: n };
}

/**
 * A regression's evaluation: `loss` the mean squared error (of standardised targets, as training
 * sees them), `accuracy` the coefficient of determination R² (1 is perfect, 0 is the mean's
 * guess), `values` each row's prediction (standardised), `predictions` empty.
 */
export interface RegressionEvaluation extends Evaluation {
  values: Float32Array;
}

/** Predictions of a one-output model, row by row. */
export function predictValues(
  model: Sequential,
  x: Float32Array,
  count: number,
  features: number,
): Float32Array {
  const out = new Float32Array(count);
  for (let start = 0; start < count; start += 1000) {
    const n = Math.min(1000, count - start);
    const batch = featureBatch(model, x, start, n, features);
    try {
      out.set(model.forward(batch).toArray(), start);
    } finally {
      batch.dispose();
    }
  }
  return out;
}

function evaluateRegression(
  model: Sequential,
  set: FeatureRows,
  targets: Float64Array,
): RegressionEvaluation {
  const values = predictValues(model, set.x, set.count, set.features);
  let mean = 0;
  for (let i = 0; i < set.count; i++) mean += targets[i] / set.count;
  let residual = 0;
  let total = 0;
  for (let i = 0; i < set.count; i++) {
    residual += (values[i] - targets[i]) ** 2;
    total += (targets[i] - mean) ** 2;
  }
  return {
    loss: residual / Math.max(1, set.count),
    accuracy: total > 0 ? 1 - residual / total : 0,
    predictions: new Int32Array(0),
    values,
  };
}

/**
 * Loss, accuracy and predictions of `model` on a set of `inputs` values an example (for a
 * regression set, see {@link RegressionEvaluation}: accuracy is R²).
 */
export function evaluateExamples(
  model: Sequential,
  set: FeatureRows | ImageRows,
  inputs: number,
): Evaluation {
  if (isFeatureRows(set) && set.targets) return evaluateRegression(model, set, set.targets);
  return isFeatureRows(set)
    ? evaluateFeatures(model, set.x, set.labels, set.count, inputs)
    : evaluate(model, set.images, set.labels, set.count, inputs);
}
