import type { Mode } from './earlyStopping.js';

/** Options of {@link ReduceLROnPlateau}. */
export interface ReduceLROnPlateauOptions {
  /** Multiplies the rate on a plateau (default 0.5). */
  factor?: number;
  /** Epochs without improvement before reducing (default 3). */
  patience?: number;
  minDelta?: number;
  mode?: Mode;
  /** Never below this multiplier (default 0). */
  minScale?: number;
  /** Epochs to wait after a reduction (default 0). */
  cooldown?: number;
}

/**
 * Scales the learning rate down when a metric stops improving. `scale` multiplies whatever
 * schedule is in use, so it composes with warmup/decay.
 *
 * @example
 * ```ts
 * const plateau = new ReduceLROnPlateau({ factor: 0.5, patience: 2, mode: 'min' });
 * const lr = schedule(epoch) * plateau.update(devLoss);
 * ```
 */
export class ReduceLROnPlateau {
  scale = 1;
  private best: number;
  private wait = 0;
  private cooling = 0;

  constructor(readonly options: ReduceLROnPlateauOptions = {}) {
    this.best = options.mode === 'max' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }

  /** Feeds one epoch's metric; returns the current scale. */
  update(value: number): number {
    const {
      factor = 0.5,
      patience = 3,
      minDelta = 0,
      mode = 'min',
      minScale = 0,
      cooldown = 0,
    } = this.options;
    const improved = mode === 'max' ? value > this.best + minDelta : value < this.best - minDelta;
    if (improved) {
      this.best = value;
      this.wait = 0;
    } else if (this.cooling > 0) {
      this.cooling--;
    } else if (++this.wait >= patience) {
      this.scale = Math.max(minScale, this.scale * factor);
      this.wait = 0;
      this.cooling = cooldown;
    }
    return this.scale;
  }
}
