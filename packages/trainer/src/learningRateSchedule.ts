import { cosine, oneCycle, type Schedule, warmupDecay } from '@sprout/schedule';
import type { TrainConfig } from './config.js';

/**
 * The learning rate at fractional epoch `t` (epoch e's batches run from t = e − 1 to e). The
 * original NumPy script's `step` schedule changes once per epoch, at its start, as it always has; `cosine` and
 * `one-cycle` change every batch.
 */
export function learningRateSchedule(config: TrainConfig): Schedule {
  const peak = config.learningRate;
  const warmup = config.warmupEpochs;
  const span = config.scheduleEpochs ?? config.epochs;
  if (config.lrSchedule === 'one-cycle') return oneCycle({ lrMax: peak, total: span });
  if (config.lrSchedule === 'cosine') {
    // Warmup ramps per epoch as the original NumPy script's does (peak·(e+1)/warmup), then a per-batch cosine
    // over the epochs left.
    const fall = cosine(peak, Math.max(span - warmup, 1e-9));
    return (t) => (t < warmup ? (peak * (Math.floor(t) + 1)) / warmup : fall(t - warmup));
  }
  const step = warmupDecay({ lr0: peak, warmup, decay: config.decay, decayPatience: config.decayPatience });
  return (t) => step(Math.floor(t));
}
