import { expect, it } from 'vitest';
import { resolveConfig } from './config.js';
import { ConfigError } from './errors.js';
import { classificationReport } from './metrics.js';

it('fills in the seed defaults', () => {
  const c = resolveConfig({});
  expect([c.batchSize, c.learningRate, c.maxMemoryPercent, c.warmupEpochs, c.growthEpochs]).toEqual([
    128, 0.001, 80, 5, 20,
  ]);
  expect([c.initialHiddenSize, c.finalHiddenSize]).toEqual([128, 512]);
});

it.each([
  [{ batchSize: 0 }, /^batchSize: /],
  [{ learningRate: -1 }, /^learningRate: /],
  [{ maxMemoryPercent: 120 }, /^maxMemoryPercent: /],
  [{ backend: 'tpu' }, /^backend: /],
  [{ initialHiddenSize: 600 }, /^finalHiddenSize: must be at least initialHiddenSize/],
  [{ batchsize: 3 }, /^batchsize: unknown option/],
  [{ epochs: 1.5 }, /^epochs: /],
])('rejects %j with a ConfigError naming the field', (input, message) => {
  expect(() => resolveConfig(input)).toThrow(ConfigError);
  expect(() => resolveConfig(input)).toThrow(message);
});

it('classificationReport computes per-class, macro and weighted figures', () => {
  const r = classificationReport([0, 0, 1, 1, 1, 2], [0, 1, 1, 1, 0, 2], 3);
  expect(r.accuracy).toBeCloseTo(4 / 6);
  expect(r.confusion).toEqual([
    [1, 1, 0],
    [1, 2, 0],
    [0, 0, 1],
  ]);
  expect(r.perClass[1]).toMatchObject({ precision: 2 / 3, recall: 2 / 3, support: 3 });
  expect(r.macro.recall).toBeCloseTo((0.5 + 2 / 3 + 1) / 3);
  expect(r.weighted.recall).toBeCloseTo((0.5 * 2 + (2 / 3) * 3 + 1) / 6);
});
