import { Adam } from '@sprout/optim';
import { createCpuBackend, Random, SparseRows } from '@sprout/tensor';
import { describe, expect, it } from 'vitest';
import { createMlp } from './createMlp.js';
import { evaluate } from './evaluate.js';
import { grow } from './grow.js';
import { SoftmaxCrossEntropy } from './softmaxCrossEntropyLoss.js';
import { mnistSlice } from './test-support/mnistSlice.js';

const backend = createCpuBackend();
const { images, labels } = mnistSlice(1200);
const trainImages = images.subarray(0, 1000 * 784);
const testImages = images.subarray(1000 * 784);
const testLabels = labels.subarray(1000);

function trainEpoch(model: ReturnType<typeof createMlp>, adam: Adam, epoch: number): number {
  const x = new SparseRows(backend);
  const loss = new SoftmaxCrossEntropy();
  let total = 0;
  for (let start = 0; start < 1000; start += 50) {
    x.set(trainImages.subarray(start * 784, (start + 50) * 784), 50, 784);
    const { value, grad } = loss.compute(model.forward(x), labels.subarray(start, start + 50));
    model.backward(grad);
    adam.step(epoch < 1 ? 5e-4 : 1e-3);
    total += value;
  }
  return total / 20;
}

describe.each(['net2net', 'zero-outgoing'] as const)('grow with %s', (strategy) => {
  it('keeps outputs on real MNIST within 1e-5, then training goes on reducing the loss', () => {
    const model = createMlp(backend, { inputs: 784, hidden: [32], outputs: 10, rng: new Random(1) });
    const adam = new Adam(model.parameters());
    const losses = [trainEpoch(model, adam, 0), trainEpoch(model, adam, 1)];
    const x = new SparseRows(backend).set(testImages, 200, 784);
    const before = model.forward(x).toArray();
    const lossBefore = evaluate(model, trainImages, labels, 1000, 784).loss;
    for (const g of grow(model, 0, 96, { strategy, rng: new Random(2) }))
      adam.grow(g.param, g.map, g.oldShape);
    expect(model.widths).toEqual([784, 96, 10]);
    const after = model.forward(x).toArray();
    let maxDiff = 0;
    for (let i = 0; i < before.length; i++) maxDiff = Math.max(maxDiff, Math.abs(before[i] - after[i]));
    expect(maxDiff).toBeLessThan(1e-5);
    // No jump in loss: the first epoch after growth starts where we were and keeps going down.
    const lossAfterGrowth = evaluate(model, trainImages, labels, 1000, 784).loss;
    expect(Math.abs(lossAfterGrowth - lossBefore)).toBeLessThan(1e-5);
    for (let e = 2; e < 5; e++) losses.push(trainEpoch(model, adam, e));
    expect(losses[4]).toBeLessThan(losses[1]);
    const accuracy = evaluate(model, testImages, testLabels, 200, 784).accuracy;
    expect(accuracy).toBeGreaterThan(0.7); // chance is 0.1
  });
});

it('rejects shrinking and growing the output layer', () => {
  const model = createMlp(backend, { inputs: 4, hidden: [8], outputs: 2, rng: new Random(1) });
  expect(() => grow(model, 0, 4, { rng: new Random(1) })).toThrow(/≥ 8/);
  expect(() => grow(model, 1, 4, { rng: new Random(1) })).toThrow(/not a hidden layer/);
});
