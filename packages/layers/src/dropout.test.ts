import { createCpuBackend, fromArray, Random } from '@sprout/tensor';
import { expect, it } from 'vitest';
import { createMlp, withDropout } from './createMlp.js';
import { Dropout } from './dropout.js';
import { evaluate } from './evaluate.js';
import { loadModel, saveModel } from './modelFile.js';

const backend = createCpuBackend();

it('drops about `rate` of the activations while training, scales the rest by 1/(1 − rate), and masks the gradient alike', () => {
  const rate = 0.3;
  const layer = new Dropout(rate, new Random(5));
  const [rows, cols] = [127, 513];
  const x = fromArray(
    backend,
    Array.from({ length: rows * cols }, (_, i) => 1 + (i % 7)),
    [rows, cols],
  );
  layer.training = true;
  const y = layer.forward(x).toArray();
  const xs = x.toArray();
  let dropped = 0;
  let wrong = 0;
  y.forEach((v, i) => {
    if (v === 0) dropped++;
    else if (Math.abs(v - xs[i] / (1 - rate)) > 1e-5 * v) wrong++;
  });
  expect(wrong).toBe(0);
  const fraction = dropped / y.length;
  // 65,151 draws: the standard deviation of the fraction is 0.0018.
  expect(fraction).toBeGreaterThan(rate - 0.01);
  expect(fraction).toBeLessThan(rate + 0.01);
  const dy = fromArray(backend, new Float32Array(rows * cols).fill(2), [rows, cols]);
  const dx = layer.backward(dy).toArray();
  const wrongGrad = dx.filter((g, i) => Math.abs(g - (y[i] === 0 ? 0 : 2 / (1 - rate))) > 1e-5).length;
  expect(wrongGrad).toBe(0);
  // A new batch, a new mask.
  const again = layer.forward(x).toArray();
  expect(again.some((v, i) => (v === 0) !== (y[i] === 0))).toBe(true);
});

it('is the identity at evaluation: a model with dropout evaluates exactly as the same weights without', () => {
  const rng = new Random(3);
  const model = createMlp(backend, { inputs: 20, hidden: [16], outputs: 3, rng, dropout: 0.5 });
  const plain = withDropout(model, 0, rng);
  expect(model.layers.some((l) => l instanceof Dropout)).toBe(true);
  expect(plain.layers.some((l) => l instanceof Dropout)).toBe(false);
  const data = new Random(8);
  const images = Uint8Array.from({ length: 7 * 20 }, () => data.int(256));
  const labels = Uint8Array.from({ length: 7 }, (_, i) => i % 3);
  const a = evaluate(model, images, labels, 7, 20);
  expect(evaluate(plain, images, labels, 7, 20)).toEqual(a);
  // Training mode on: outputs change; off again: back to the same.
  const x = fromArray(
    backend,
    Array.from(images, (v) => v / 255),
    [7, 20],
  );
  const before = model.forward(x).toArray();
  model.setTraining(true);
  expect(Array.from(model.forward(x).toArray())).not.toEqual(Array.from(before));
  model.setTraining(false);
  expect(model.forward(x).toArray()).toEqual(before);
});

it('model files leave dropout out; withDropout puts it back after every ReLU of a loaded model', () => {
  const rng = new Random(1);
  const model = createMlp(backend, { inputs: 6, hidden: [5, 4], outputs: 2, rng, dropout: 0.2 });
  const loaded = loadModel(backend, saveModel(model));
  expect(loaded.layers.map((l) => l.kind)).toEqual(['dense', 'relu', 'dense', 'relu', 'dense']);
  const again = withDropout(loaded, 0.2, rng);
  expect(again.layers.map((l) => l.kind)).toEqual([
    'dense',
    'relu',
    'dropout',
    'dense',
    'relu',
    'dropout',
    'dense',
  ]);
  expect(again.parameters()).toEqual(loaded.parameters());
  expect(() => new Dropout(1, rng)).toThrow(/rate/);
});
