import type { Backend } from './backend.js';
import type { Random } from './random.js';
import { Tensor } from './tensor.js';

/** How to fill a new weight tensor. */
export type Initializer =
  | { kind: 'zeros' }
  | { kind: 'uniform'; low: number; high: number }
  | { kind: 'normal'; mean?: number; std: number }
  | { kind: 'he' }
  | { kind: 'glorot' };

/**
 * Values for a fanIn×fanOut weight: He (normal, std √(2/fanIn)) suits ReLU layers; Glorot
 * (uniform, ±√(6/(fanIn+fanOut))) suits linear/softmax outputs.
 */
export function initialValues(
  init: Initializer,
  size: number,
  fanIn: number,
  fanOut: number,
  rng: Random,
): Float32Array {
  const out = new Float32Array(size);
  switch (init.kind) {
    case 'zeros':
      break;
    case 'uniform':
      for (let i = 0; i < size; i++) out[i] = rng.uniform(init.low, init.high);
      break;
    case 'normal':
      for (let i = 0; i < size; i++) out[i] = (init.mean ?? 0) + init.std * rng.normal();
      break;
    case 'he': {
      const std = Math.sqrt(2 / Math.max(1, fanIn));
      for (let i = 0; i < size; i++) out[i] = std * rng.normal();
      break;
    }
    case 'glorot': {
      const limit = Math.sqrt(6 / Math.max(1, fanIn + fanOut));
      for (let i = 0; i < size; i++) out[i] = rng.uniform(-limit, limit);
      break;
    }
  }
  return out;
}

/**
 * A new tensor filled by an initializer. For 2-D shapes fanIn = rows, fanOut = cols.
 *
 * @example
 * ```ts
 * const w = initTensor(backend, [784, 512], { kind: 'he' }, new Random(1));
 * ```
 */
export function initTensor(
  backend: Backend,
  shape: readonly number[],
  init: Initializer,
  rng: Random,
): Tensor {
  const t = new Tensor(backend, shape);
  const fanIn = shape.length === 2 ? shape[0] : shape[0];
  const fanOut = shape.length === 2 ? shape[1] : shape[0];
  return t.set(initialValues(init, t.size, fanIn, fanOut, rng));
}
