import type { Backend, Random } from '@sprout/tensor';
import { Dense } from './dense.js';
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
  spec: { inputs: number; hidden: number[]; outputs: number; rng: Random },
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
  return new Sequential(layers);
}
