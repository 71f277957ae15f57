import { createCpuBackend, fromArray, Random, SparseRows, type Tensor } from '@sprout/tensor';
import { expect, it } from 'vitest';
import { createMlp } from './createMlp.js';
import type { LayerInput } from './layer.js';
import type { Sequential } from './sequential.js';
import { SoftmaxCrossEntropy } from './softmaxCrossEntropyLoss.js';

const backend = createCpuBackend();

/** Compares every parameter gradient with centred finite differences of the loss. */
function gradientCheck(model: Sequential, x: LayerInput, labels: number[]) {
  const loss = new SoftmaxCrossEntropy();
  model.zeroGrad();
  model.backward(loss.compute(model.forward(x), labels).grad);
  // Small steps so no ReLU kink is crossed; float32 loss noise (~1e-7) stays far below eps.
  const eps = 1e-3;
  let worst = 0;
  for (const p of model.parameters()) {
    const grad = p.grad.toArray();
    const values = p.value.toArray();
    for (let i = 0; i < values.length; i++) {
      const at = (delta: number) => {
        const v = values.slice();
        v[i] += delta;
        p.value.set(v);
        return loss.value(model.forward(x), labels);
      };
      const numeric = (at(eps) - at(-eps)) / (2 * eps);
      p.value.set(values);
      worst = Math.max(
        worst,
        Math.abs(numeric - grad[i]) / Math.max(1e-2, Math.abs(numeric) + Math.abs(grad[i])),
      );
    }
  }
  return worst;
}

it('Dense + ReLU + Dense + softmax cross-entropy gradients match finite differences (dense input)', () => {
  for (const [inputs, hidden, outputs, rows] of [
    [7, 5, 3, 4],
    [13, 1, 2, 1],
  ]) {
    const model = createMlp(backend, { inputs, hidden: [hidden], outputs, rng: new Random(3) });
    const rng = new Random(9);
    const x: Tensor = fromArray(
      backend,
      Array.from({ length: rows * inputs }, () => rng.uniform(-1, 1)),
      [rows, inputs],
    );
    const labels = Array.from({ length: rows }, (_, i) => i % outputs);
    expect(gradientCheck(model, x, labels)).toBeLessThan(2e-2);
  }
});

it('gradients through sparse-rows input and two hidden layers match finite differences', () => {
  const model = createMlp(backend, { inputs: 20, hidden: [6, 4], outputs: 3, rng: new Random(5) });
  const rng = new Random(1);
  const bytes = Uint8Array.from({ length: 5 * 20 }, () => (rng.next() < 0.6 ? 0 : rng.int(256)));
  const x = new SparseRows(backend).set(bytes, 5, 20);
  expect(gradientCheck(model, x, [0, 1, 2, 0, 1])).toBeLessThan(2e-2);
});
