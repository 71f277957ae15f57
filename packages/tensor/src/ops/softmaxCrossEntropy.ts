import type { BatchLabels } from '../backend.js';
import { ShapeError } from '../errors.js';
import type { LossSums } from '../lossSums.js';
import { hostLabels } from '../sparseRows.js';
import type { Tensor } from '../tensor.js';
import { expectShape } from './check.js';

/** Options for {@link softmaxCrossEntropy}. */
export interface SoftmaxCrossEntropyOptions {
  /** Where to write d(mean loss)/d(logits); omitted for evaluation. */
  grad?: Tensor;
  /** Multiplies the gradient (e.g. 1/k for k accumulated micro-batches). Default 1. */
  gradScale?: number;
}

/**
 * Fused softmax + cross-entropy: returns the mean loss over rows and, in the same pass, the
 * gradient (softmax − one-hot)/n. Stable for large logits. Probabilities below 1e-20 count as 0
 * in the gradient, so a confident net never feeds subnormal floats (slow on x86) downstream.
 *
 * @example
 * ```ts
 * const loss = softmaxCrossEntropy(logits, labels, { grad: dLogits });
 * ```
 */
export function softmaxCrossEntropy(
  logits: Tensor,
  labels: ArrayLike<number>,
  options: SoftmaxCrossEntropyOptions = {},
): number {
  checkLabels('softmaxCrossEntropy', logits, labels);
  if (options.grad) expectShape('softmaxCrossEntropy', 'grad', options.grad, logits.rows, logits.cols);
  const scale = (options.gradScale ?? 1) / Math.max(1, logits.rows);
  return logits.backend.softmaxCrossEntropy(logits, labels, options.grad ?? null, scale);
}

/** Options for {@link softmaxCrossEntropySums}. */
export interface SoftmaxCrossEntropySumsOptions extends SoftmaxCrossEntropyOptions {
  /**
   * Label smoothing ε in [0, 1): the gradient is taken against (1 − ε)·one-hot + ε/classes
   * (Szegedy et al. 2016); the sums stay plain cross-entropy. Default 0.
   */
  labelSmoothing?: number;
}

/**
 * The training step's loss head without a read-back: the gradient of the mean loss (as
 * {@link softmaxCrossEntropy}) into `options.grad`, and each row's cross-entropy and hit added
 * into `sums` on the backend's device. `labels` may be the batch itself, where `SparseRows.set`
 * was given them (a GPU then has them already). Read `sums` when the numbers are wanted.
 *
 * @example
 * ```ts
 * x.set(images, 128, 784, 1 / 255, labels);
 * softmaxCrossEntropySums(logits, x, sums, { grad: dLogits });
 * ```
 */
export function softmaxCrossEntropySums(
  logits: Tensor,
  labels: BatchLabels,
  sums: LossSums | null,
  options: SoftmaxCrossEntropySumsOptions = {},
): void {
  checkLabels('softmaxCrossEntropySums', logits, hostLabels(labels));
  if (options.grad) expectShape('softmaxCrossEntropySums', 'grad', options.grad, logits.rows, logits.cols);
  if (sums && sums.backend !== logits.backend)
    throw new Error('softmaxCrossEntropySums: sums belong to another backend');
  const smoothing = options.labelSmoothing ?? 0;
  if (!(smoothing >= 0 && smoothing < 1))
    throw new RangeError(`softmaxCrossEntropySums: labelSmoothing must be in [0, 1), got ${smoothing}`);
  const scale = (options.gradScale ?? 1) / Math.max(1, logits.rows);
  logits.backend.softmaxCrossEntropySums(logits, labels, options.grad ?? null, scale, smoothing, sums);
}

function checkLabels(op: string, logits: Tensor, labels: ArrayLike<number>): void {
  const { rows, cols } = logits;
  if (labels.length < rows) throw new ShapeError(`${op}: ${rows} rows but ${labels.length} labels`);
  for (let i = 0; i < rows; i++) {
    const l = labels[i];
    if (!Number.isInteger(l) || l < 0 || l >= cols) {
      throw new RangeError(`${op}: label ${l} at row ${i} is outside 0..${cols - 1}`);
    }
  }
}
