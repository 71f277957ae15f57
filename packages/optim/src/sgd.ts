import { axpy, scale } from '@sprout/tensor';
import { SlottedOptimizer } from './optimizer.js';
import type { TrainableParameter } from './parameter.js';

/** Options of {@link SGD}. */
export interface SgdOptions {
  lr?: number;
  momentum?: number;
  nesterov?: boolean;
  weightDecay?: number;
}

/**
 * Stochastic gradient descent with (Nesterov) momentum: v ← μv + g; p ← p − lr·(g + μv) for
 * Nesterov, p ← p − lr·v otherwise.
 */
export class SGD extends SlottedOptimizer<'velocity'> {
  readonly options: Required<SgdOptions>;

  constructor(params: TrainableParameter[], options: SgdOptions = {}) {
    super('sgd', params, { velocity: 0 });
    this.options = { lr: 0.01, momentum: 0, nesterov: false, weightDecay: 0, ...options };
  }

  step(lr = this.options.lr): void {
    const { momentum, nesterov, weightDecay } = this.options;
    for (const p of this.params) {
      if (weightDecay > 0) axpy(weightDecay, p.value, p.grad);
      if (momentum === 0) {
        axpy(-lr, p.grad, p.value);
        continue;
      }
      const v = this.slotsOf(p).velocity;
      scale(v, momentum, v);
      axpy(1, p.grad, v);
      if (nesterov) {
        axpy(-lr, p.grad, p.value);
        axpy(-lr * momentum, v, p.value);
      } else {
        axpy(-lr, v, p.value);
      }
    }
    this.steps++;
  }
}
