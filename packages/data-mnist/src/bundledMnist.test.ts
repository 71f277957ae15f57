import { expect, it } from 'vitest';
import { loadBundledMnist } from './bundledMnist.js';
import { stratifiedSplit } from './split.js';

it('loads the bundled real MNIST with the right counts and checksums', async () => {
  const mnist = await loadBundledMnist({ verify: true });
  expect(mnist.train.count).toBe(60000);
  expect(mnist.test.count).toBe(10000);
  expect([mnist.train.rows, mnist.train.cols]).toEqual([28, 28]);
  expect(mnist.train.images.length).toBe(60000 * 784);
  expect(mnist.classes).toBe(10);
  // First training label of MNIST is a 5, first test label a 7.
  expect(mnist.train.labels[0]).toBe(5);
  expect(mnist.test.labels[0]).toBe(7);
  const { train, dev } = stratifiedSplit(mnist.train.labels, 5000, 42);
  expect([train.length, dev.length]).toEqual([55000, 5000]);
});
