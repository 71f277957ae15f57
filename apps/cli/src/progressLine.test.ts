import { describe, expect, it } from 'vitest';
import { type ProgressValues, progressLine } from './progressLine.js';

const values: ProgressValues = {
  epoch: 12,
  epochs: 100,
  batch: 215,
  batches: 430,
  samplesPerSecond: 41234.4,
  loss: 0.12345,
  accuracy: 0.97125,
  learningRate: 0.000734,
  hiddenSize: 512,
  rssMB: 195.4,
  etaSeconds: 3.21,
};

describe('progressLine', () => {
  it.each([20, 40, 60, 80, 100, 120, 200])('fits in %i columns, one short of the edge', (columns) => {
    const line = progressLine(values, columns);
    expect(line.length).toBeLessThanOrEqual(columns - 1);
    expect(line).not.toContain('\n');
  });

  it('keeps what matters most at 80 columns', () => {
    const line = progressLine(values, 80);
    expect(line).toMatch(/^epoch 12\/100 \[█+░+\] 215\/430/);
    expect(line).toContain('loss 0.1235');
    expect(line).toContain('acc 97.13%');
    expect(line).toContain('ETA 3.2s');
  });

  it('shows every field in the fixed order when the terminal is wide', () => {
    expect(progressLine(values, 200)).toBe(
      `epoch 12/100 [${'█'.repeat(12)}${'░'.repeat(12)}] 215/430 | 41,234 samples/s | loss 0.1235 | acc 97.13% | lr 7.3e-4 | width 512 | 195 MB | ETA 3.2s`,
    );
  });

  it('drops the least important fields first', () => {
    const medium = progressLine(values, 120);
    expect(medium).toContain('samples/s');
    expect(medium).toContain('lr ');
    expect(medium).not.toContain(' MB');
  });

  it('shows a dash before accuracy is measured, and an empty bar at batch 0', () => {
    const line = progressLine({ ...values, batch: 0, accuracy: null }, 120);
    expect(line).toContain('acc —');
    expect(line).toMatch(/\[░+\]/);
  });
});

it('a regression has no accuracy to show: the field is left out', () => {
  const line = progressLine(
    {
      epoch: 1,
      epochs: 5,
      batch: 3,
      batches: 10,
      loss: 0.25,
      accuracy: undefined,
      learningRate: 0.002,
      hiddenSize: 128,
      hiddenSizes: [128],
      rssMB: 80,
      etaSeconds: 1,
      samplesPerSecond: 1000,
    },
    200,
  );
  expect(line).toContain('loss 0.2500');
  expect(line).not.toContain('acc');
});
