import { fromArray, type Tensor } from '@sprout/tensor';

/**
 * Mean squared error of a regression head: the mean over rows and outputs of (prediction −
 * target)², and its gradient with respect to the predictions, 2·(prediction − target)/(rows·outputs).
 * Computed on the host; `targets` is rows × outputs numbers, row after row.
 *
 * @example
 * ```ts
 * const mse = new MeanSquaredError();
 * const { value, grad } = mse.compute(model.forward(x), targets);
 * model.backward(grad);
 * ```
 */
export class MeanSquaredError {
  private grad: Tensor | null = null;

  /**
   * The loss and its gradient (a tensor this object owns and reuses: do not dispose it);
   * `gradScale` multiplies the gradient (1/k for k accumulated micro-batches).
   */
  compute(predictions: Tensor, targets: ArrayLike<number>, gradScale = 1): { value: number; grad: Tensor } {
    const p = predictions.toArray();
    if (targets.length !== p.length)
      throw new RangeError(`MeanSquaredError: ${p.length} predictions but ${targets.length} targets`);
    const g = new Float32Array(p.length);
    let sum = 0;
    for (let i = 0; i < p.length; i++) {
      const d = p[i] - targets[i];
      sum += d * d;
      g[i] = (gradScale * 2 * d) / p.length;
    }
    if (this.grad && this.grad.rows === predictions.rows && this.grad.cols === predictions.cols)
      this.grad.set(g);
    else {
      this.grad?.dispose();
      this.grad = fromArray(predictions.backend, g, [predictions.rows, predictions.cols]);
    }
    return { value: sum / Math.max(1, p.length), grad: this.grad };
  }

  /** The loss alone. */
  value(predictions: Tensor, targets: ArrayLike<number>): number {
    const p = predictions.toArray();
    let sum = 0;
    for (let i = 0; i < p.length; i++) sum += (p[i] - targets[i]) ** 2;
    return sum / Math.max(1, p.length);
  }

  dispose(): void {
    this.grad?.dispose();
    this.grad = null;
  }
}
