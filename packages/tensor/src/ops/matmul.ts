import { ShapeError } from '../errors.js';
import type { SparseRows } from '../sparseRows.js';
import { Tensor } from '../tensor.js';
import { expectShape } from './check.js';

/** Options for {@link matmul}. */
export interface MatmulOptions {
  /** Use aᵀ instead of a (no transpose is materialised). */
  transA?: boolean;
  /** Use bᵀ instead of b. */
  transB?: boolean;
  /** Write here instead of allocating (must be m×n on the same backend). */
  out?: Tensor;
  /** Add into `out` instead of overwriting it (gradient accumulation). */
  accumulate?: boolean;
}

/**
 * Matrix product op(a)·op(b) of 2-D tensors.
 *
 * @example
 * ```ts
 * const y = matmul(x, w);                         // x·w
 * matmul(x, dy, { transA: true, out: dw });       // dw = xᵀ·dy
 * matmul(dy, w, { transB: true, out: dx });       // dx = dy·wᵀ
 * ```
 */
export function matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  const { transA = false, transB = false, accumulate = false } = options;
  const m = transA ? a.cols : a.rows;
  const k = transA ? a.rows : a.cols;
  const kb = transB ? b.cols : b.rows;
  const n = transB ? b.rows : b.cols;
  if (k !== kb) {
    throw new ShapeError(
      `matmul: inner dimensions differ: ${transA ? 'aᵀ' : 'a'} is ${m}×${k}, ${transB ? 'bᵀ' : 'b'} is ${kb}×${n}`,
    );
  }
  if (a.backend !== b.backend) throw new ShapeError('matmul: operands belong to different backends');
  const out = options.out ?? new Tensor(a.backend, [m, n]);
  expectShape('matmul', 'out', out, m, n);
  a.backend.matmul(a, b, out, transA, transB, accumulate && options.out !== undefined);
  return out;
}

/** x·w for a batch of sparse rows x (n×k) and dense w (k×m). */
export function sparseMatmul(x: SparseRows, w: Tensor, out?: Tensor): Tensor {
  if (x.cols !== w.rows)
    throw new ShapeError(`sparseMatmul: x is ${x.rows}×${x.cols}, w is ${w.rows}×${w.cols}`);
  const result = out ?? new Tensor(w.backend, [x.rows, w.cols]);
  expectShape('sparseMatmul', 'out', result, x.rows, w.cols);
  w.backend.sparseMatmul(x, w, result);
  return result;
}

/** xᵀ·d for sparse rows x (n×k) and dense d (n×m): the first layer's weight gradient. */
export function sparseTransposeMatmul(x: SparseRows, d: Tensor, out?: Tensor, accumulate = false): Tensor {
  if (x.rows !== d.rows) {
    throw new ShapeError(`sparseTransposeMatmul: x is ${x.rows}×${x.cols}, d is ${d.rows}×${d.cols}`);
  }
  const result = out ?? new Tensor(d.backend, [x.cols, d.cols]);
  expectShape('sparseTransposeMatmul', 'out', result, x.cols, d.cols);
  d.backend.sparseTransposeMatmul(x, d, result, accumulate && out !== undefined);
  return result;
}
