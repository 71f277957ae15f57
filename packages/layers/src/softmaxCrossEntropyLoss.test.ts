import { createCpuBackend, fromArray, LossSums, SparseRows } from '@sprout/tensor';
import { afterAll, expect, it } from 'vitest';
import { SoftmaxCrossEntropy } from './softmaxCrossEntropyLoss.js';

const backend = createCpuBackend();
afterAll(() => backend.dispose());

it.each([0, 0.1])(
  'step (labelSmoothing %s) gives compute’s gradient bit for bit, and sums its cross-entropy and hits',
  (labelSmoothing) => {
    const logits = fromArray(backend, Float32Array.from([2, 1, 0, 0, 3, 1, -1, 0, 5, 1, 1, 0.5]), [4, 3]);
    const labels = [0, 2, 2, 1];
    const x = new SparseRows(backend).set(new Uint8Array(8), 4, 2, 1, labels);
    const sums = new LossSums(backend);
    const loss = new SoftmaxCrossEntropy({ labelSmoothing });
    const computed = loss.compute(logits, labels, 0.5);
    const expectedGrad = computed.grad.toArray();
    const grad = loss.step(logits, x, sums, 0.5).toArray();
    expect(grad).toEqual(expectedGrad);
    const { loss: total, correct, rows } = sums.read();
    expect(rows).toBe(4);
    expect(correct).toBe(2); // rows 0 and 2 have their label's logit largest
    expect(total / rows).toBeCloseTo(computed.crossEntropy, 12);
    for (const d of [x, sums, loss, logits]) d.dispose();
  },
);
