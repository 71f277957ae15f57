/** Whether a bigger or a smaller metric is better. */
export type Mode = 'max' | 'min';

/** Options of {@link EarlyStopping}. */
export interface EarlyStoppingOptions {
  /** Epochs without improvement before stopping. */
  patience: number;
  /** Smallest change that counts as an improvement (default 0). */
  minDelta?: number;
  mode?: Mode;
}

/** What {@link EarlyStopping.update} decided. */
export interface EarlyStoppingDecision {
  improved: boolean;
  stop: boolean;
  best: number;
  bestEpoch: number;
}

/**
 * Stops after `patience` epochs without an improvement of at least `minDelta`. The caller keeps
 * the best weights when `improved` is true (restore-best).
 *
 * @example
 * ```ts
 * const stopper = new EarlyStopping({ patience: 3, mode: 'max' });
 * if (stopper.update(epoch, devAccuracy).stop) break;
 * ```
 */
export class EarlyStopping {
  best: number;
  bestEpoch = -1;
  wait = 0;

  constructor(readonly options: EarlyStoppingOptions) {
    this.best = options.mode === 'min' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  }

  update(epoch: number, value: number): EarlyStoppingDecision {
    const { minDelta = 0, mode = 'max', patience } = this.options;
    const improved = mode === 'max' ? value > this.best + minDelta : value < this.best - minDelta;
    if (improved) {
      this.best = value;
      this.bestEpoch = epoch;
      this.wait = 0;
    } else {
      this.wait++;
    }
    return { improved, stop: this.wait >= patience, best: this.best, bestEpoch: this.bestEpoch };
  }

  /** JSON-safe state for checkpoints. */
  state(): { best: number; bestEpoch: number; wait: number } {
    return { best: this.best, bestEpoch: this.bestEpoch, wait: this.wait };
  }

  setState(s: { best: number | null; bestEpoch: number; wait: number }): void {
    this.best = s.best ?? (this.options.mode === 'min' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY);
    this.bestEpoch = s.bestEpoch;
    this.wait = s.wait;
  }
}
