import type { Backend } from './backend.js';

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

  constructor(readonly backend: Backend) {}

  /** Loads `rows` images of `cols` bytes each, multiplied by `scale`. */
  set(bytes: Uint8Array, rows: number, cols: number, scale = 1 / 255): this {
    if (bytes.length < rows * cols) {
      throw new RangeError(
        `SparseRows.set: need ${rows * cols} bytes for ${rows}×${cols}, got ${bytes.length}`,
      );
    }
    this.nonZeros = this.backend.setSparseRows(this, bytes, rows, cols, scale);
    this.rows = rows;
    this.cols = cols;
    return this;
  }

  dispose(): void {
    this.backend.freeSparseRows(this);
  }
}
