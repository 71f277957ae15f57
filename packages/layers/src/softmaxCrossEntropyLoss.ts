import { axpy, softmaxCrossEntropy, Tensor } from '@sprout/tensor';

/** Options of {@link SoftmaxCrossEntropy}. */
export interface SoftmaxCrossEntropyOptions {
  /**
   * Label smoothing ε in [0, 1): training targets are (1 − ε)·one-hot + ε/classes (Szegedy et
   * al. 2016). Default 0.
   */
  labelSmoothing?: number;
}

/**
 * The fused softmax + cross-entropy loss head: mean loss and d(loss)/d(logits) in one pass,
 * into a gradient buffer it reuses. With label smoothing, `compute` adds the smoothing term to
 * the loss and to the gradient (a small correction on the host: the logits are batch × classes).
 *
 * @example
 * ```ts
 * const loss = new SoftmaxCrossEntropy({ labelSmoothing: 0.1 });
 * const { value, grad } = loss.compute(logits, labels);
 * ```
 */
export class SoftmaxCrossEntropy {
  private gradBuffer: Tensor | null = null;
  private correction: Tensor | null = null;
  readonly labelSmoothing: number;

  constructor(options: SoftmaxCrossEntropyOptions = {}) {
    this.labelSmoothing = options.labelSmoothing ?? 0;
    if (!(this.labelSmoothing >= 0 && this.labelSmoothing < 1))
      throw new RangeError(
        `SoftmaxCrossEntropy: labelSmoothing must be in [0, 1), got ${this.labelSmoothing}`,
      );
  }

  /**
   * The loss being minimised (`value`, with the smoothing term), its gradient, and the plain
   * cross-entropy against the true labels (`crossEntropy`, comparable with an evaluation's loss).
   * `gradScale` multiplies the gradient (1/k for k accumulated micro-batches).
   */
  compute(
    logits: Tensor,
    labels: ArrayLike<number>,
    gradScale = 1,
  ): { value: number; grad: Tensor; crossEntropy: number } {
    this.gradBuffer = sameShape(this.gradBuffer, logits);
    const value = softmaxCrossEntropy(logits, labels, { grad: this.gradBuffer, gradScale });
    const eps = this.labelSmoothing;
    if (eps === 0) return { value, grad: this.gradBuffer, crossEntropy: value };
    // Row loss −Σ q·log p with q = (1−ε)·onehot + ε/K is (lse − z_y) + ε·(z_y − mean z), and its
    // gradient p − q is (p − onehot) + ε·(onehot − 1/K): the kernel's plus these terms.
    const { rows, cols } = logits;
    const z = logits.toArray();
    const c = new Float32Array(rows * cols);
    const step = (gradScale * eps) / rows;
    let extra = 0;
    for (let i = 0; i < rows; i++) {
      let sum = 0;
      for (let j = 0; j < cols; j++) sum += z[i * cols + j];
      const y = labels[i];
      extra += z[i * cols + y] - sum / cols;
      c.fill(-step / cols, i * cols, (i + 1) * cols);
      c[i * cols + y] += step;
    }
    this.correction = sameShape(this.correction, logits).set(c);
    axpy(1, this.correction, this.gradBuffer);
    return { value: value + (eps * extra) / rows, grad: this.gradBuffer, crossEntropy: value };
  }

  /** Loss only, plain cross-entropy without smoothing (evaluation). */
  value(logits: Tensor, labels: ArrayLike<number>): number {
    return softmaxCrossEntropy(logits, labels);
  }

  dispose(): void {
    this.gradBuffer?.dispose();
    this.correction?.dispose();
    this.gradBuffer = null;
    this.correction = null;
  }
}

/** `buffer` if it has `like`'s shape, else a new one (the old one disposed). */
function sameShape(buffer: Tensor | null, like: Tensor): Tensor {
  if (buffer && buffer.rows === like.rows && buffer.cols === like.cols) return buffer;
  buffer?.dispose();
  return new Tensor(like.backend, [like.rows, like.cols]);
}
