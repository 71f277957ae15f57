import type { AdamStep } from '../backend.js';
import type { Tensor } from '../tensor.js';
import { expectSameSize } from './check.js';

/**
 * One fused Adam/AdamW update of `param` in place. `m`, `v` are the moments; `beta1Power`,
 * `beta2Power` hold β1^t and β2^t per entry (start at 1), so each entry is bias-corrected by
 * its own step count — entries added by growth start fresh. State that decays below 1e-30 and
 * gradients below 1e-16 are flushed to 0: x86 CPUs are 10–60× slower on subnormal floats and
 * WebAssembly cannot flush them; the updates this drops are below lr·1e-7 (ε = 1e-8).
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
