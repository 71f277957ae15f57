import {
  type BatchLabels,
  type LossSums,
  softmaxCrossEntropy,
  softmaxCrossEntropySums,
  Tensor,
} from '@sprout/tensor';

/** Options of {@link SoftmaxCrossEntropy}. */
export interface SoftmaxCrossEntropyOptions {
  /**
   * Label smoothing ε in [0, 1): training targets are (1 − ε)·one-hot + ε/classes (Szegedy et
   * al. 2016). Default 0.
   */
  labelSmoothing?: number;
}

/**
 * The fused softmax + cross-entropy loss head: d(loss)/d(logits) into a gradient buffer it
 * reuses, with the loss either read back at once (`compute`) or summed where the logits are
 * (`step`, for training loops that read every few steps). Label smoothing is in the gradient's
 * targets; `compute` adds its term to the loss on the host (the logits are batch × classes).
 *
 * @example
 * ```ts
 * const loss = new SoftmaxCrossEntropy({ labelSmoothing: 0.1 });
 * const { value, grad } = loss.compute(logits, labels);
 * ```
 */
export class SoftmaxCrossEntropy {
  private gradBuffer: Tensor | null = null;
  readonly labelSmoothing: number;

  constructor(options: SoftmaxCrossEntropyOptions = {}) {
    this.labelSmoothing = options.labelSmoothing ?? 0;
    if (!(this.labelSmoothing >= 0 && this.labelSmoothing < 1))
      throw new RangeError(
        `SoftmaxCrossEntropy: labelSmoothing must be in [0, 1), got ${this.labelSmoothing}`,
      );
  }

  /**
   * A training step's loss head without a read-back: the gradient (label smoothing in its
   * targets), with each row's plain cross-entropy and hit added into `sums` where the logits are.
   * A GPU runs on; read `sums` every few steps. `labels` may be the batch itself, given its
   * labels in `SparseRows.set`. `gradScale` multiplies the gradient (1/k for k micro-batches).
   */
  step(logits: Tensor, labels: BatchLabels, sums: LossSums | null, gradScale = 1): Tensor {
    this.gradBuffer = sameShape(this.gradBuffer, logits);
    softmaxCrossEntropySums(logits, labels, sums, {
      grad: this.gradBuffer,
      gradScale,
      labelSmoothing: this.labelSmoothing,
    });
    return this.gradBuffer;
  }

  /**
   * The loss being minimised (`value`, with the smoothing term), its gradient, and the plain
   * cross-entropy against the true labels (`crossEntropy`, comparable with an evaluation's loss),
   * read back at once. `gradScale` multiplies the gradient (1/k for k accumulated micro-batches).
   */
  compute(
    logits: Tensor,
    labels: ArrayLike<number>,
    gradScale = 1,
  ): { value: number; grad: Tensor; crossEntropy: number } {
    const grad = this.step(logits, labels, null, gradScale);
    const crossEntropy = softmaxCrossEntropy(logits, labels);
    const eps = this.labelSmoothing;
    if (eps === 0) return { value: crossEntropy, grad, crossEntropy };
    // Row loss −Σ q·log p with q = (1−ε)·onehot + ε/K is (lse − z_y) + ε·(z_y − mean z).
    const { rows, cols } = logits;
    const z = logits.toArray();
    let extra = 0;
    for (let i = 0; i < rows; i++) {
      let sum = 0;
      for (let j = 0; j < cols; j++) sum += z[i * cols + j];
      extra += z[i * cols + labels[i]] - sum / cols;
    }
    return { value: crossEntropy + (eps * extra) / rows, grad, crossEntropy };
  }

  /** Loss only, plain cross-entropy without smoothing (evaluation). */
  value(logits: Tensor, labels: ArrayLike<number>): number {
    return softmaxCrossEntropy(logits, labels);
  }

  dispose(): void {
    this.gradBuffer?.dispose();
    this.gradBuffer = null;
  }
}

/** `buffer` if it has `like`'s shape, else a new one (the old one disposed). */
function sameShape(buffer: Tensor | null, like: Tensor): Tensor {
  if (buffer && buffer.rows === like.rows && buffer.cols === like.cols) return buffer;
  buffer?.dispose();
  return new Tensor(like.backend, [like.rows, like.cols]);
}
