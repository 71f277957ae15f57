import { describe, expect, it } from 'vitest';
import { resolveConfig } from './config.js';
import { ConfigError } from './errors.js';
import { classificationReport } from './metrics.js';
import { flagOf } from './options.js';

it("fills in the defaults: the original NumPy script's, with a faster schedule", () => {
  const c = resolveConfig({});
  expect([c.batchSize, c.learningRate, c.maxMemoryPercent, c.warmupEpochs, c.growthEpochs]).toEqual([
    128, 0.002, 80, 1, 4,
  ]);
  expect([c.initialHidden, c.hidden]).toEqual([[256], [512]]);
});

it('starts at half the final width (rounded up) unless told otherwise', () => {
  expect(resolveConfig({ hidden: [64] }).initialHidden).toEqual([32]);
  expect(resolveConfig({ hidden: [1] }).initialHidden).toEqual([1]);
  expect(resolveConfig({ hidden: [65, 3] }).initialHidden).toEqual([33, 2]);
  expect(resolveConfig({ hidden: [64], initialHidden: [64] }).initialHidden).toEqual([64]);
});

it.each([
  [{ batchSize: 0 }, /^batchSize: /],
  [{ learningRate: -1 }, /^learningRate: /],
  [{ maxMemoryPercent: 120 }, /^maxMemoryPercent: /],
  [{ backend: 'tpu' }, /^backend: /],
  [{ initialHidden: [600] }, /^initialHidden: must not exceed the final widths \(512\), layer by layer/],
  // The CLI's scalar flags are its own sugar: the library takes widths as lists only.
  [{ finalHiddenSize: 64 }, /^finalHiddenSize: unknown option/],
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

describe('hidden layers', () => {
  it('one layer by default; hidden/initialHidden give several, layer by layer', () => {
    expect(resolveConfig({})).toMatchObject({ hidden: [512], initialHidden: [256] });
    expect(resolveConfig({ hidden: [300], initialHidden: [100] })).toMatchObject({
      hidden: [300],
      initialHidden: [100],
    });
    const deep = resolveConfig({ hidden: [512, 256] });
    expect(deep).toMatchObject({ initialHidden: [256, 128] });
    expect(resolveConfig({ hidden: [512, 256], initialHidden: [128, 64] }).initialHidden).toEqual([128, 64]);
    // A resolved config resolves to itself (checkpoints store resolved configs).
    expect(resolveConfig(deep)).toEqual(deep);
  });

  it.each([
    [
      { hidden: [512, 256], initialHidden: [128] },
      'initialHidden: has 1 widths but there are 2 hidden layers',
    ],
    [
      { hidden: [512, 256], initialHidden: [128, 300] },
      'initialHidden: must not exceed the final widths (512,256), layer by layer',
    ],
    [{ hidden: [512, 0] }, /^hidden: entry 2: /],
    [{ hidden: [] }, /^hidden: /],
  ])('rejects %j', (input, message) => {
    expect(() => resolveConfig(input)).toThrow(ConfigError);
    expect(() => resolveConfig(input)).toThrow(message);
  });
});

it('augments the bundled digits by default, not a dataDir dataset', () => {
  expect(resolveConfig({}).augment).toBe(true);
  expect(resolveConfig({ dataDir: '/data/fashion' }).augment).toBe(false);
  expect(resolveConfig({ dataDir: '/data/fashion', augment: true }).augment).toBe(true);
  expect(resolveConfig({ augment: false }).augment).toBe(false);
});

it('monitor train-loss holds out no dev split: a dev size with it, or none with a dev monitor, is an error', () => {
  expect(resolveConfig({ monitor: 'train-loss' }).devSize).toBeUndefined();
  // What a run records (and a continued run reads back) is consistent.
  expect(resolveConfig({ monitor: 'train-loss', devSize: 0 }).devSize).toBe(0);
  const both = () => resolveConfig({ monitor: 'train-loss', devSize: 50 });
  expect(both).toThrow(ConfigError);
  expect(both).toThrow(
    /^devSize: cannot go with monitor train-loss, which holds out no dev split: give one of them$/,
  );
  expect(() => resolveConfig({ devSize: 0 })).toThrow(
    /^devSize: is 0, but monitor dev-accuracy follows a dev split: give 1 or more, or monitor train-loss$/,
  );
  expect(() => resolveConfig({ devSize: 0, monitor: 'dev-loss' })).toThrow(
    /^devSize: is 0, but monitor dev-loss/,
  );
  // The CLI names both by their flags.
  try {
    both();
  } catch (error) {
    expect((error as ConfigError).describe((o) => flagOf(o) ?? o)).toBe(
      '--dev-size: cannot go with --monitor train-loss, which holds out no dev split: give one of them',
    );
  }
});
