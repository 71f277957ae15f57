import type { AdamStep } from '../backend.js';
import type { Tensor } from '../tensor.js';
import { expectSameSize } from './check.js';

/**
 * One fused Adam/AdamW update of `param` in place. `m`, `v` are the moments; `beta1Power`,
 * `beta2Power` hold β1^t and β2^t per entry (start at 1), so each entry is bias-corrected by
 * its own step count — entries added by growth start fresh.
 */
export function adamUpdate(
  param: Tensor,
  grad: Tensor,
  m: Tensor,
  v: Tensor,
  beta1Power: Tensor,
  beta2Power: Tensor,
  step: AdamStep,
): void {
  expectSameSize('adamUpdate', param, grad, m, v, beta1Power, beta2Power);
  param.backend.adam(param, grad, m, v, beta1Power, beta2Power, step);
}
