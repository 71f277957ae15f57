import { Tensor } from '../tensor.js';
import { expectShape } from './check.js';

/** Sum of each column (down the rows): the bias gradient. Result has `cols` entries. */
export function columnSums(x: Tensor, options: { out?: Tensor; accumulate?: boolean } = {}): Tensor {
  const out = options.out ?? new Tensor(x.backend, [x.cols]);
  expectShape('columnSums', 'out', out, 1, x.cols);
  x.backend.columnSums(x, out, (options.accumulate ?? false) && options.out !== undefined);
  return out;
}

/** Index of the largest entry of each row (first one on ties). */
export function argmaxRows(x: Tensor): Int32Array {
  x.assertAlive();
  return x.backend.argmaxRows(x);
}
