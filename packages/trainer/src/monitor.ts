import type { TrainConfig } from './configTypes.js';
import type { EpochRecord } from './history.js';

type Monitor = TrainConfig['monitor'];

/** Whether a larger figure of `monitor` is better (accuracy) or a smaller one (a loss). */
export function monitorMode(monitor: Monitor): 'max' | 'min' {
  return monitor === 'dev-accuracy' ? 'max' : 'min';
}

/** What the monitor follows, in words: "dev accuracy", "dev loss", "training loss". */
export function monitorName(monitor: Monitor): string {
  return monitor === 'train-loss' ? 'training loss' : monitor.replace('-', ' ');
}

/**
 * The figure of a trained epoch's record that `monitor` follows: early stopping's value, and
 * what picks the kept weights from a history. Null where the record has none (epoch 0's training
 * loss, a dev figure of a run without a dev split).
 */
export function monitoredFigure(monitor: Monitor, record: EpochRecord): number | null {
  if (monitor === 'train-loss') return record.trainLoss;
  return monitor === 'dev-loss' ? record.devLoss : record.devAccuracy;
}

/**
 * The record of the weights a run keeps: its trained epochs judged as early stopping judged them
 * (an improvement is one of more than `minDelta`), so the first of equals; null before any.
 */
export function keptEpoch(
  config: Pick<TrainConfig, 'monitor' | 'minDelta'>,
  history: readonly EpochRecord[],
): EpochRecord | null {
  const sign = monitorMode(config.monitor) === 'max' ? 1 : -1;
  let kept: EpochRecord | null = null;
  for (const record of history) {
    const value = record.epoch > 0 ? monitoredFigure(config.monitor, record) : null;
    if (value === null) continue;
    const best = kept === null ? null : (monitoredFigure(config.monitor, kept) as number);
    if (best === null || sign * (value - best) > config.minDelta) kept = record;
  }
  return kept;
}
