import { axpy, fill, scale, Tensor } from '@sprout/tensor';
import type { OptimizerState } from './adam.js';
import { type GrowthMap, regrowState, type TrainableParameter } from './parameter.js';

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
export class SGD {
  readonly options: Required<SgdOptions>;
  steps = 0;
  private velocity = new Map<string, Tensor>();

  constructor(
    private params: TrainableParameter[],
    options: SgdOptions = {},
  ) {
    this.options = { lr: 0.01, momentum: 0, nesterov: false, weightDecay: 0, ...options };
    for (const p of params) this.velocity.set(p.name, fill(new Tensor(p.value.backend, p.value.shape), 0));
  }

  step(lr = this.options.lr): void {
    const { momentum, nesterov, weightDecay } = this.options;
    for (const p of this.params) {
      if (weightDecay > 0) axpy(weightDecay, p.value, p.grad);
      if (momentum === 0) {
        axpy(-lr, p.grad, p.value);
        continue;
      }
      const v = this.velocity.get(p.name)!;
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

  grow(param: TrainableParameter, map: GrowthMap, oldShape: readonly number[]): void {
    const v = this.velocity.get(param.name)!;
    const next = regrowState(v, param, map, oldShape, 0);
    this.velocity.set(param.name, next);
  }

  setParameters(params: TrainableParameter[]): void {
    this.params = params;
  }

  state(): OptimizerState {
    const slots: OptimizerState['slots'] = {};
    for (const [name, v] of this.velocity) slots[name] = { velocity: v.toArray() };
    return { kind: 'sgd', step: this.steps, slots };
  }

  loadState(state: OptimizerState): void {
    if (state.kind !== 'sgd') throw new Error(`cannot load "${state.kind}" state into SGD`);
    for (const [name, v] of this.velocity) v.set(state.slots[name].velocity);
    this.steps = state.step;
  }
}
