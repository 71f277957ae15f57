import { adamUpdate } from '@sprout/tensor';
import { SlottedOptimizer } from './optimizer.js';
import type { TrainableParameter } from './parameter.js';

/** Adam's hyper-parameters; `weightDecay` > 0 makes it AdamW (decoupled decay). */
export interface AdamOptions {
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
}

/**
 * Adam's state per parameter: the moments `m`, `v`, and β1^t, β2^t per entry — each entry's own
 * step count, so entries added by growth start fresh.
 */
const ADAM_SLOTS = { m: 0, v: 0, beta1Power: 1, beta2Power: 1 };

/**
 * Adam with bias correction (Kingma & Ba), fused into one kernel per parameter. Bias correction
 * counts steps per entry, so after growth new units take the step a fresh Adam would take.
 *
 * @example
 * ```ts
 * const adam = new Adam(model.parameters(), { lr: 1e-3 });
 * adam.step();            // after backward
 * adam.grow(g.param, g.map, g.oldShape); // for each growth grow() returned
 * ```
 */
export class Adam extends SlottedOptimizer<keyof typeof ADAM_SLOTS> {
  readonly options: Required<AdamOptions>;

  constructor(params: TrainableParameter[], options: AdamOptions = {}) {
    super('adam', params, ADAM_SLOTS);
    this.options = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, ...options };
  }

  step(lr = this.options.lr): void {
    const { beta1, beta2, eps, weightDecay } = this.options;
    for (const p of this.params) {
      const s = this.slotsOf(p);
      adamUpdate(p.value, p.grad, s.m, s.v, s.beta1Power, s.beta2Power, {
        lr,
        beta1,
        beta2,
        eps,
        weightDecay,
      });
    }
    this.steps++;
  }
}

/** AdamW: Adam with decoupled weight decay (default 0.01). */
export class AdamW extends Adam {
  constructor(params: TrainableParameter[], options: AdamOptions = {}) {
    super(params, { weightDecay: 0.01, ...options });
  }
}
