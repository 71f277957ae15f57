import { ShapeError } from '../errors.js';
import type { Tensor } from '../tensor.js';

/** Throws a ShapeError unless `t` is 2-D with the given shape. */
export function expectShape(op: string, name: string, t: Tensor, rows: number, cols: number): void {
  t.assertAlive();
  if (t.rows !== rows || t.cols !== cols) {
    throw new ShapeError(`${op}: ${name} must be ${rows}×${cols}, got [${t.shape.join('×')}]`);
  }
}

/** Throws unless every tensor lives on the same backend and has the same size. */
export function expectSameSize(op: string, ...ts: Tensor[]): void {
  for (const t of ts) {
    t.assertAlive();
    if (t.backend !== ts[0].backend) throw new ShapeError(`${op}: tensors belong to different backends`);
    if (t.size !== ts[0].size) {
      throw new ShapeError(`${op}: sizes differ ([${ts[0].shape.join('×')}] vs [${t.shape.join('×')}])`);
    }
  }
}
