import { scale, sumSquares } from '@sprout/tensor';
import type { TrainableParameter } from './parameter.js';

/**
 * Scales all gradients so their global L2 norm is at most `maxNorm`. Returns the norm before clipping.
 *
 * @example
 * ```ts
 * const norm = clipGradNorm(model.parameters(), 5);
 * ```
 */
export function clipGradNorm(params: TrainableParameter[], maxNorm: number): number {
  let total = 0;
  for (const p of params) total += sumSquares(p.grad);
  const norm = Math.sqrt(total);
  if (norm > maxNorm && norm > 0) for (const p of params) scale(p.grad, maxNorm / norm, p.grad);
  return norm;
}
