import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from '@sprout/trainer/internals';
import { expect, it } from 'vitest';
import { parseSearchSpace, readSearchSpace, sampleConfigurations, trialConfig } from './searchSpace.js';

const space = {
  base: { lrSchedule: 'cosine', patience: 0 },
  search: {
    learningRate: { log: [1e-3, 4e-3] },
    elastic: { uniform: [0, 2] },
    dropout: { choice: [0, 0.1, 0.2] },
    growthEpochs: { int: [0, 4] },
    hidden: { choice: [[256], [512], [512, 256]] },
  },
  trials: 40,
  minEpochs: 5,
  maxEpochs: 45,
};

it('samples every option inside its distribution, the same way every time', () => {
  const parsed = parseSearchSpace(space);
  const configs = sampleConfigurations(parsed);
  expect(configs).toHaveLength(40);
  expect(sampleConfigurations(parsed)).toEqual(configs);
  for (const c of configs) {
    expect(c.learningRate).toBeGreaterThanOrEqual(1e-3);
    expect(c.learningRate).toBeLessThanOrEqual(4e-3);
    expect(c.elastic).toBeGreaterThanOrEqual(0);
    expect(c.elastic).toBeLessThanOrEqual(2);
    expect([0, 0.1, 0.2]).toContain(c.dropout);
    expect(Number.isInteger(c.growthEpochs)).toBe(true);
    expect(c.growthEpochs).toBeGreaterThanOrEqual(0);
    expect(c.growthEpochs).toBeLessThanOrEqual(4);
    expect([[256], [512], [512, 256]]).toContainEqual(c.hidden);
  }
  // log-uniform: about as many draws below the geometric middle (2e-3) as above.
  const below = configs.filter((c) => (c.learningRate as number) < 2e-3).length;
  expect(below).toBeGreaterThan(10);
  expect(below).toBeLessThan(30);
  expect(new Set(configs.map((c) => c.dropout)).size).toBe(3);
  // A different sampling seed, different configurations.
  expect(sampleConfigurations(parseSearchSpace({ ...space, seed: 5 }))).not.toEqual(configs);
});

it('a trial never sees the test set, spans the whole budget with its schedule, and writes no report', () => {
  const parsed = parseSearchSpace(space);
  const config = resolveConfig(
    trialConfig(parsed, sampleConfigurations(parsed)[0], { epochs: 5, outDir: '/tmp/t' }),
  );
  expect(config.evaluateTest).toBe(false);
  expect(config.report).toBe(false);
  expect(config.epochs).toBe(5);
  expect(config.scheduleEpochs).toBe(45);
  expect(config.lrSchedule).toBe('cosine');
});

it('refuses, naming the file and the entry: unknown options, options the search sets, bad values, bad JSON', () => {
  const bad = (patch: object) => () => parseSearchSpace({ ...space, ...patch }, 'space.json');
  expect(bad({ search: { learningRat: { log: [1e-3, 1e-2] } } })).toThrow(
    /space.json: search.learningRat is not a training option/,
  );
  expect(bad({ base: { epochs: 3 } })).toThrow(/base.epochs is set by the search itself/);
  expect(bad({ search: { evaluateTest: { choice: [true] } } })).toThrow(
    /search.evaluateTest is set by the search/,
  );
  expect(bad({ search: { dropout: { choice: [0, 1] } } })).toThrow(/search.dropout = 1: dropout/);
  expect(bad({ search: { learningRate: { log: [0.01, 0.001] } } })).toThrow(/low end is above its high end/);
  expect(bad({ search: { learningRate: { normal: [1, 2] } } })).toThrow(/space.json: search.learningRate/);
  expect(bad({ maxEpochs: 2 })).toThrow(/maxEpochs: must be at least minEpochs/);
  // A bad base is blamed on the base, not on a search entry.
  expect(bad({ base: { labelSmoothing: 1.5 } })).toThrow(/space.json: base: labelSmoothing: /);
  expect(bad({ base: { dropout: 0.1 } })).toThrow(/dropout is both in base and in search/);
  expect(bad({ search: { growthEpochs: { int: [0.5, 4] } } })).toThrow(
    /search.growthEpochs: expected one of \{ "choice"/,
  );
  // Widths are lists: a range of numbers for them is refused at its first end.
  expect(bad({ search: { hidden: { int: [128, 512] } } })).toThrow(/search.hidden = 128: hidden: /);
  const dir = mkdtempSync(join(tmpdir(), 'sprout-space-'));
  writeFileSync(join(dir, 'broken.json'), '{ "trials": ');
  expect(() => readSearchSpace(join(dir, 'broken.json'))).toThrow(/broken.json is not JSON/);
  expect(() => readSearchSpace(join(dir, 'missing.json'))).toThrow(
    /cannot read .*missing.json: no such file or directory \(ENOENT\)/,
  );
});

it('a search chooses on the dev split: train-loss is refused, and rows keep a dev monitor', () => {
  for (const bad of [
    { ...space, base: { monitor: 'train-loss' } },
    { ...space, search: { monitor: { choice: ['dev-loss', 'train-loss'] } } },
  ])
    expect(() => parseSearchSpace(bad, 'space.json')).toThrow(
      /space\.json: monitor "train-loss" holds out no dev split, and a search chooses on the dev split/,
    );
  const rows = parseSearchSpace({ ...space, base: { csv: 'rows.csv', label: 'y' } });
  // train() would drop the dev split of a small CSV by default; a trial must not.
  expect(trialConfig(rows, {}, { epochs: 5, outDir: 'x' }).monitor).toBe('dev-loss');
  const images = parseSearchSpace(space);
  expect(trialConfig(images, {}, { epochs: 5, outDir: 'x' }).monitor).toBeUndefined();
  expect(parseSearchSpace(space).promotion).toBe('asynchronous');
});
