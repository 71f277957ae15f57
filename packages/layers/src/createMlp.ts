import type { Backend, Random } from '@sprout/tensor';
import { Dense } from './dense.js';
import { Dropout } from './dropout.js';
import type { Layer } from './layer.js';
import { ReLU } from './relu.js';
import { Sequential } from './sequential.js';

/**
 * A multilayer perceptron: He-initialised ReLU hidden layers and a Glorot-initialised linear
 * output (for softmax cross-entropy). Layers are named `hidden0`, `hidden1`, …, `output`.
 *
 * @example
 * ```ts
 * const model = createMlp(backend, { inputs: 784, hidden: [128], outputs: 10, rng: new Random(42) });
 * ```
 */
export function createMlp(
  backend: Backend,
  spec: { inputs: number; hidden: number[]; outputs: number; rng: Random; dropout?: number },
): Sequential {
  const layers: Layer[] = [];
  let width = spec.inputs;
  spec.hidden.forEach((h, i) => {
    layers.push(new Dense(backend, width, h, spec.rng, { name: `hidden${i}` }), new ReLU());
    width = h;
  });
  layers.push(
    new Dense(backend, width, spec.outputs, spec.rng, { init: { kind: 'glorot' }, name: 'output' }),
  );
  const model = new Sequential(layers);
  return spec.dropout ? withDropout(model, spec.dropout, spec.rng) : model;
}

/**
 * The same layers (same parameters, not copies) with a {@link Dropout} of `rate` after every ReLU:
 * how a model read from a file (which holds no dropout) trains on with it.
 */
export function withDropout(model: Sequential, rate: number, rng: Random): Sequential {
  const layers = model.layers.filter((l) => !(l instanceof Dropout));
  if (rate === 0) return new Sequential(layers);
  return new Sequential(layers.flatMap((l) => (l instanceof ReLU ? [l, new Dropout(rate, rng)] : [l])));
}
