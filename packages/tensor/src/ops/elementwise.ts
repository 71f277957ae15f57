import { Tensor } from '../tensor.js';
import { expectSameSize } from './check.js';

function target(a: Tensor, out?: Tensor): Tensor {
  return out ?? new Tensor(a.backend, a.shape);
}

/** a + b, elementwise. */
export function add(a: Tensor, b: Tensor, out?: Tensor): Tensor {
  const o = target(a, out);
  expectSameSize('add', a, b, o);
  a.backend.linear(1, a, 1, b, o);
  return o;
}

/** a − b, elementwise. */
export function sub(a: Tensor, b: Tensor, out?: Tensor): Tensor {
  const o = target(a, out);
  expectSameSize('sub', a, b, o);
  a.backend.linear(1, a, -1, b, o);
  return o;
}

/** s·a. */
export function scale(a: Tensor, s: number, out?: Tensor): Tensor {
  const o = target(a, out);
  expectSameSize('scale', a, o);
  a.backend.linear(s, a, 0, a, o);
  return o;
}

/** y ← alpha·x + y, in place. */
export function axpy(alpha: number, x: Tensor, y: Tensor): Tensor {
  expectSameSize('axpy', x, y);
  x.backend.linear(alpha, x, 1, y, y);
  return y;
}

/** Sets every entry to `value`, in place. */
export function fill(t: Tensor, value: number): Tensor {
  t.assertAlive();
  t.backend.fill(t, value);
  return t;
}

/** Σ x², the squared L2 norm (for clipping by global norm). */
export function sumSquares(x: Tensor): number {
  x.assertAlive();
  return x.backend.sumSquares(x);
}
