import { fill, Tensor } from '@sprout/tensor';

/** A named trainable tensor with its gradient buffer (same shape, same backend). */
export class Parameter {
  grad: Tensor;

  constructor(
    readonly name: string,
    public value: Tensor,
  ) {
    this.grad = fill(new Tensor(value.backend, value.shape), 0);
  }

  /** Replaces the value (after growth), with a fresh zero gradient; frees the old tensors. */
  replace(value: Tensor): void {
    this.value.dispose();
    this.grad.dispose();
    this.value = value;
    this.grad = fill(new Tensor(value.backend, value.shape), 0);
  }

  zeroGrad(): void {
    fill(this.grad, 0);
  }

  dispose(): void {
    this.value.dispose();
    this.grad.dispose();
  }
}
