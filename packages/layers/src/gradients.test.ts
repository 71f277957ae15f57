import { createCpuBackend, fromArray, Random, SparseRows, type Tensor } from '@sprout/tensor';
import { expect, it } from 'vitest';
import { createMlp } from './createMlp.js';
import { Dense } from './dense.js';
import { Sigmoid, Tanh } from './elementwiseActivation.js';
import type { LayerInput } from './layer.js';
import { MeanSquaredError } from './meanSquaredError.js';
import { loadModel, saveModel } from './modelFile.js';
import { Sequential } from './sequential.js';
import { SoftmaxCrossEntropy } from './softmaxCrossEntropyLoss.js';

const backend = createCpuBackend();

/**
 * Compares every parameter gradient with centred finite differences of the loss. `before` runs
 * ahead of every forward pass (to replay the same dropout masks).
 */
function gradientCheck(
  model: Sequential,
  x: LayerInput,
  labels: number[],
  options: { labelSmoothing?: number; before?: () => void } = {},
) {
  const loss = new SoftmaxCrossEntropy({ labelSmoothing: options.labelSmoothing });
  const before = options.before ?? (() => {});
  model.zeroGrad();
  before();
  model.backward(loss.compute(model.forward(x), labels).grad);
  return worstGradientError(model, () => {
    before();
    return loss.compute(model.forward(x), labels).value;
  });
}

/**
 * The largest relative difference between the gradients in the model's parameters (from one
 * backward pass) and centred finite differences of `loss()`, the loss at the current values.
 */
function worstGradientError(model: Sequential, loss: () => number): number {
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
        return loss();
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

it('label smoothing: loss is −Σ q·log softmax with q = (1−ε)·one-hot + ε/K, gradient by finite differences', () => {
  for (const [inputs, hidden, outputs, rows, eps] of [
    [7, 5, 3, 4, 0.1],
    [13, 7, 10, 1, 0.3],
  ]) {
    const model = createMlp(backend, { inputs, hidden: [hidden], outputs, rng: new Random(3) });
    const rng = new Random(4);
    const x = fromArray(
      backend,
      Array.from({ length: rows * inputs }, () => rng.uniform(-2, 2)),
      [rows, inputs],
    );
    const labels = Array.from({ length: rows }, (_, i) => (i * 2) % outputs);
    // The loss against a naive loop over the definition, in float64.
    const logits = model.forward(x).toArray();
    let expected = 0;
    for (let i = 0; i < rows; i++) {
      const z = Array.from(logits.subarray(i * outputs, (i + 1) * outputs));
      const max = Math.max(...z);
      const lse = max + Math.log(z.reduce((s, v) => s + Math.exp(v - max), 0));
      z.forEach((v, k) => {
        const q = (k === labels[i] ? 1 - eps : 0) + eps / outputs;
        expected -= q * (v - lse);
      });
    }
    const smoothed = new SoftmaxCrossEntropy({ labelSmoothing: eps }).compute(model.forward(x), labels);
    expect(smoothed.value).toBeCloseTo(expected / rows, 5);
    // crossEntropy is the plain loss against the true labels.
    expect(smoothed.crossEntropy).toBe(new SoftmaxCrossEntropy().value(model.forward(x), labels));
    expect(smoothed.crossEntropy).not.toBe(smoothed.value);
    expect(gradientCheck(model, x, labels, { labelSmoothing: eps })).toBeLessThan(2e-2);
  }
});

it('label smoothing 0 is plain cross-entropy; gradScale scales the smoothing term too', () => {
  const logits = fromArray(backend, [1, -2, 0.5, 3, 0, -1], [2, 3]);
  const plain = new SoftmaxCrossEntropy().compute(logits, [2, 0]);
  const zero = new SoftmaxCrossEntropy({ labelSmoothing: 0 }).compute(logits, [2, 0]);
  expect(zero.value).toBe(plain.value);
  expect(zero.grad.toArray()).toEqual(plain.grad.toArray());
  const full = new SoftmaxCrossEntropy({ labelSmoothing: 0.2 }).compute(logits, [2, 0]).grad.toArray();
  const half = new SoftmaxCrossEntropy({ labelSmoothing: 0.2 }).compute(logits, [2, 0], 0.5).grad.toArray();
  half.forEach((g, i) => {
    expect(g).toBeCloseTo(full[i] / 2, 6);
  });
  // Each row of p − q sums to 0.
  expect(full[0] + full[1] + full[2]).toBeCloseTo(0, 6);
  expect(() => new SoftmaxCrossEntropy({ labelSmoothing: 1 })).toThrow(/labelSmoothing/);
});

it('gradients through dropout (the same masks replayed) match finite differences', () => {
  const rng = new Random(11);
  const model = createMlp(backend, { inputs: 9, hidden: [8, 6], outputs: 4, rng, dropout: 0.4 });
  model.setTraining(true);
  const saved = rng.state();
  const data = new Random(2);
  const x = fromArray(
    backend,
    Array.from({ length: 5 * 9 }, () => data.uniform(-1, 1)),
    [5, 9],
  );
  expect(gradientCheck(model, x, [0, 1, 2, 3, 0], { before: () => rng.setState(saved) })).toBeLessThan(2e-2);
});

it('Sigmoid and Tanh layers and the mean squared error: gradients match finite differences, on awkward shapes', () => {
  for (const Activation of [Sigmoid, Tanh]) {
    for (const [inputs, hidden, outputs, rows] of [
      [7, 5, 1, 4],
      [1, 7, 3, 1],
      [13, 2, 2, 7],
    ]) {
      const rng = new Random(5);
      const model = new Sequential([
        new Dense(backend, inputs, hidden, rng, { name: 'hidden0' }),
        new Activation(),
        new Dense(backend, hidden, outputs, rng, { name: 'output' }),
      ]);
      const x = fromArray(
        backend,
        Array.from({ length: rows * inputs }, () => rng.uniform(-2, 2)),
        [rows, inputs],
      );
      const targets = Array.from({ length: rows * outputs }, () => rng.uniform(-1, 1));
      const mse = new MeanSquaredError();
      model.zeroGrad();
      model.backward(mse.compute(model.forward(x), targets).grad);
      const worst = worstGradientError(model, () => mse.value(model.forward(x), targets));
      expect(worst, `${Activation.name} ${inputs}-${hidden}-${outputs} × ${rows}`).toBeLessThan(1e-2);
      // Values against the formula, and a saved model reads them back.
      const h = new Activation().forward(fromArray(backend, [-30, -1, 0, 0.5, 30], [1, 5])).toArray();
      const f = Activation === Sigmoid ? (v: number) => 1 / (1 + Math.exp(-v)) : Math.tanh;
      expect(Array.from(h)).toEqual([-30, -1, 0, 0.5, 30].map((v) => Math.fround(f(v))));
      const again = loadModel(backend, saveModel(model));
      expect(again.forward(x).toArray()).toEqual(model.forward(x).toArray());
    }
  }
});
