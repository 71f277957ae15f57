import { expect, it } from 'vitest';
import { resolveConfig } from './config.js';
import { learningRateSchedule } from './learningRateSchedule.js';

it('step (the seed’s) holds each epoch’s rate for the whole epoch', () => {
  const lr = learningRateSchedule(
    resolveConfig({ learningRate: 1e-3, warmupEpochs: 2, decay: 0.5, decayPatience: 1 }),
  );
  expect(lr(0)).toBeCloseTo(5e-4, 12);
  expect(lr(0.99)).toBeCloseTo(5e-4, 12);
  expect(lr(2.5)).toBeCloseTo(1e-3, 12);
  expect(lr(3.7)).toBeCloseTo(5e-4, 12);
});

it('cosine falls per batch from the peak after warmup to 0 at scheduleEpochs (default: epochs)', () => {
  const lr = learningRateSchedule(
    resolveConfig({ learningRate: 2e-3, warmupEpochs: 1, lrSchedule: 'cosine', epochs: 11 }),
  );
  expect(lr(0.5)).toBeCloseTo(2e-3, 12);
  expect(lr(1)).toBeCloseTo(2e-3, 12);
  expect(lr(6)).toBeCloseTo(1e-3, 12);
  expect(lr(6.5)).toBeLessThan(lr(6.25));
  expect(lr(11)).toBe(0);
  const longer = learningRateSchedule(
    resolveConfig({
      learningRate: 2e-3,
      warmupEpochs: 0,
      lrSchedule: 'cosine',
      epochs: 5,
      scheduleEpochs: 10,
    }),
  );
  expect(longer(5)).toBeCloseTo(1e-3, 12);
});

it('one-cycle peaks 30% into the schedule and ends near 0', () => {
  const lr = learningRateSchedule(resolveConfig({ learningRate: 3e-3, lrSchedule: 'one-cycle', epochs: 20 }));
  expect(lr(6)).toBeCloseTo(3e-3, 12);
  expect(lr(0)).toBeCloseTo(3e-3 / 25, 12);
  expect(lr(20)).toBeLessThan(1e-7);
});
