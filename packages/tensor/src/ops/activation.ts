import { ShapeError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { expectSameSize, expectShape } from './check.js';

/** x + bias with bias broadcast over rows; with `relu: true` it is the fused max(0, x + bias). */
export function addBias(x: Tensor, bias: Tensor, options: { out?: Tensor; relu?: boolean } = {}): Tensor {
  if (bias.size !== x.cols)
    throw new ShapeError(`addBias: bias has ${bias.size} entries, x has ${x.cols} columns`);
  const out = options.out ?? new Tensor(x.backend, x.shape);
  expectShape('addBias', 'out', out, x.rows, x.cols);
  x.backend.addBias(x, bias, out, options.relu ?? false);
  return out;
}

/** max(0, x). */
export function relu(x: Tensor, out?: Tensor): Tensor {
  const o = out ?? new Tensor(x.backend, x.shape);
  expectSameSize('relu', x, o);
  x.backend.relu(x, o);
  return o;
}

/** Gradient through ReLU given its output y: dy where y > 0, else 0. */
export function reluBackward(dy: Tensor, y: Tensor, out?: Tensor): Tensor {
  const o = out ?? new Tensor(dy.backend, dy.shape);
  expectSameSize('reluBackward', dy, y, o);
  dy.backend.reluBackward(dy, y, o);
  return o;
}

/** Row-wise softmax, numerically stable (subtracts each row's max). */
export function softmax(x: Tensor, out?: Tensor): Tensor {
  const o = out ?? new Tensor(x.backend, x.shape);
  expectShape('softmax', 'out', o, x.rows, x.cols);
  x.backend.softmax(x, o);
  return o;
}
