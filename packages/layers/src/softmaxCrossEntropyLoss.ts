import { softmaxCrossEntropy, Tensor } from '@sprout/tensor';

/**
 * The fused softmax + cross-entropy loss head: mean loss and d(loss)/d(logits) in one pass,
 * into a gradient buffer it reuses.
 *
 * @example
 * ```ts
 * const loss = new SoftmaxCrossEntropy();
 * const { value, grad } = loss.compute(logits, labels);
 * ```
 */
export class SoftmaxCrossEntropy {
  private gradBuffer: Tensor | null = null;

  /** `gradScale` multiplies the gradient (1/k for k accumulated micro-batches). */
  compute(logits: Tensor, labels: ArrayLike<number>, gradScale = 1): { value: number; grad: Tensor } {
    if (!this.gradBuffer || this.gradBuffer.rows !== logits.rows || this.gradBuffer.cols !== logits.cols) {
      this.gradBuffer?.dispose();
      this.gradBuffer = new Tensor(logits.backend, [logits.rows, logits.cols]);
    }
    const value = softmaxCrossEntropy(logits, labels, { grad: this.gradBuffer, gradScale });
    return { value, grad: this.gradBuffer };
  }

  /** Loss only (evaluation). */
  value(logits: Tensor, labels: ArrayLike<number>): number {
    return softmaxCrossEntropy(logits, labels);
  }

  dispose(): void {
    this.gradBuffer?.dispose();
    this.gradBuffer = null;
  }
}
