import { expect, it } from 'vitest';
import { stratifiedSplit } from './split.js';

const labels = Uint8Array.from({ length: 1000 }, (_, i) => (i < 500 ? 0 : i < 800 ? 1 : 2));

it('stratifiedSplit(labels, n, seed) has the right sizes, no overlap, and keeps class shares', () => {
  const { train, dev } = stratifiedSplit(labels, 100, 1);
  expect(train.length + dev.length).toBe(1000);
  expect(new Set([...train, ...dev]).size).toBe(1000);
  const count = (idx: Int32Array, c: number) => Array.from(idx).filter((i) => labels[i] === c).length;
  expect([count(dev, 0), count(dev, 1), count(dev, 2)]).toEqual([50, 30, 20]);
});

it('is deterministic per seed and differs across seeds', () => {
  expect(stratifiedSplit(labels, 100, 1).dev).toEqual(stratifiedSplit(labels, 100, 1).dev);
  expect(stratifiedSplit(labels, 100, 1).dev).not.toEqual(stratifiedSplit(labels, 100, 2).dev);
});

it('rejects impossible dev sizes', () => {
  expect(() => stratifiedSplit(labels, 1000, 1)).toThrow(/devSize/);
  expect(() => stratifiedSplit(labels, -1, 1)).toThrow(/devSize/);
});
