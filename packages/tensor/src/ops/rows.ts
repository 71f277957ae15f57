import { ShapeError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { expectShape } from './check.js';

function checkIndex(op: string, index: ArrayLike<number>, limit: number): void {
  for (let i = 0; i < index.length; i++) {
    const v = index[i];
    if (!Number.isInteger(v) || v < 0 || v >= limit)
      throw new RangeError(`${op}: index ${v} outside 0..${limit - 1}`);
  }
}

/** Rows of x picked by `index` (repeats allowed), as a new index.length×cols tensor. */
export function gatherRows(x: Tensor, index: ArrayLike<number>, out?: Tensor): Tensor {
  checkIndex('gatherRows', index, x.rows);
  const o = out ?? new Tensor(x.backend, [index.length, x.cols]);
  expectShape('gatherRows', 'out', o, index.length, x.cols);
  x.backend.gatherRows(x, index, o);
  return o;
}

/** Columns of x picked by `index` (repeats allowed). Growth uses this to copy units. */
export function gatherColumns(x: Tensor, index: ArrayLike<number>, out?: Tensor): Tensor {
  checkIndex('gatherColumns', index, x.cols);
  const o = out ?? new Tensor(x.backend, [x.rows, index.length]);
  expectShape('gatherColumns', 'out', o, x.rows, index.length);
  x.backend.gatherColumns(x, index, o);
  return o;
}

/** `[a; b]`: the rows of `b` below those of `a`. */
export function concatRows(a: Tensor, b: Tensor, out?: Tensor): Tensor {
  if (a.cols !== b.cols) throw new ShapeError(`concatRows: ${a.cols} vs ${b.cols} columns`);
  const o =
    out ?? new Tensor(a.backend, a.shape.length === 1 ? [a.size + b.size] : [a.rows + b.rows, a.cols]);
  expectShape('concatRows', 'out', o, a.rows + b.rows, a.cols);
  a.backend.concatRows(a, b, o);
  return o;
}

/** `[a, b]`: the columns of `b` right of those of `a`. */
export function concatColumns(a: Tensor, b: Tensor, out?: Tensor): Tensor {
  if (a.rows !== b.rows) throw new ShapeError(`concatColumns: ${a.rows} vs ${b.rows} rows`);
  const shape = a.shape.length === 1 ? [a.size + b.size] : [a.rows, a.cols + b.cols];
  const o = out ?? new Tensor(a.backend, shape);
  expectShape('concatColumns', 'out', o, a.rows, a.cols + b.cols);
  a.backend.concatColumns(a, b, o);
  return o;
}
