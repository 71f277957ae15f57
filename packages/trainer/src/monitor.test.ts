import { expect, it } from 'vitest';
import type { TrainConfig } from './configTypes.js';
import type { EpochRecord } from './history.js';
import { keptEpoch, monitoredFigure, monitorName } from './monitor.js';

const record = (
  epoch: number,
  trainLoss: number | null,
  devLoss: number | null,
  devAccuracy: number | null,
) => ({ epoch, trainLoss, devLoss, devAccuracy }) as EpochRecord;

it('keeps the epoch early stopping judged best: by the monitored figure, the first of equals, past minDelta', () => {
  const history = [
    record(0, null, 0.1, 0.99),
    record(1, 0.9, 0.5, 0.8),
    record(2, 0.4, 0.3, 0.9),
    record(3, 0.5, 0.35, 0.9),
    record(4, 0.39, 0.4, 0.85),
  ];
  const kept = (monitor: TrainConfig['monitor'], minDelta = 0) =>
    keptEpoch({ monitor, minDelta }, history)?.epoch;
  // Epoch 0 (the untrained network) is never kept, however good its dev figures.
  expect(kept('dev-accuracy')).toBe(2);
  expect(kept('dev-loss')).toBe(2);
  expect(kept('train-loss')).toBe(4);
  // 0.39 is not 0.05 below 0.4: epoch 4 is no improvement then.
  expect(kept('train-loss', 0.05)).toBe(2);
  expect(keptEpoch({ monitor: 'train-loss', minDelta: 0 }, history.slice(0, 1))).toBeNull();
  // Without a dev split the dev monitors have nothing to follow.
  expect(monitoredFigure('dev-loss', record(1, 0.5, null, null))).toBeNull();
  const monitors: TrainConfig['monitor'][] = ['dev-accuracy', 'dev-loss', 'train-loss'];
  expect(monitors.map(monitorName)).toEqual(['dev accuracy', 'dev loss', 'training loss']);
});
