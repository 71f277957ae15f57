import type { Backend, BatchLabels } from './backend.js';

/**
 * A batch of mostly-zero input rows (e.g. MNIST images, ~80% zeros) in compressed form.
 * The first layer's product X·W and weight gradient Xᵀ·dZ then only touch non-zero pixels.
 * Buffers are reused across batches; call {@link SparseRows.set} once per batch.
 *
 * @example
 * ```ts
 * const x = new SparseRows(backend);
 * x.set(imagesUint8, 128, 784, 1 / 255);
 * sparseMatmul(x, w1, hidden);
 * ```
 */
export class SparseRows {
  rows = 0;
  cols = 0;
  /** Number of stored non-zeros of the current batch. */
  nonZeros = 0;
  /** The current batch's class labels, when `set` was given them (the caller's array, not a copy). */
  labels: ArrayLike<number> | null = null;

  constructor(readonly backend: Backend) {}

  /**
   * Loads `rows` images of `cols` bytes each, multiplied by `scale`, and their class labels if
   * given: then the batch itself can be passed as the labels of `softmaxCrossEntropySums`, and a
   * GPU uploads images and labels at once.
   */
  set(bytes: Uint8Array, rows: number, cols: number, scale = 1 / 255, labels?: ArrayLike<number>): this {
    if (bytes.length < rows * cols) {
      throw new RangeError(
        `SparseRows.set: need ${rows * cols} bytes for ${rows}×${cols}, got ${bytes.length}`,
      );
    }
    if (labels && labels.length < rows) {
      throw new RangeError(`SparseRows.set: need ${rows} labels, got ${labels.length}`);
    }
    this.nonZeros = this.backend.setSparseRows(this, bytes, rows, cols, scale, labels);
    this.rows = rows;
    this.cols = cols;
    this.labels = labels ?? null;
    return this;
  }

  dispose(): void {
    this.backend.freeSparseRows(this);
  }
}

/** The labels as a host array: a batch's own where `labels` is the batch. */
export function hostLabels(labels: BatchLabels): ArrayLike<number> {
  if (!(labels instanceof SparseRows)) return labels;
  if (!labels.labels) throw new Error('SparseRows has no labels: pass them to set()');
  return labels.labels;
}
