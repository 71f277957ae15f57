import type { Backend } from './backend.js';

/** What a {@link LossSums} has added up since it was last read. */
export interface LossTotals {
  /** The rows' cross-entropies, summed (divide by `rows` for the mean). */
  loss: number;
  /** Rows whose largest logit is their label's. */
  correct: number;
  rows: number;
}

/**
 * Running sums of a classifier's batches — cross-entropy and correct predictions — kept where the
 * logits are until read. On a GPU they stay in a texture, so a training loop that reads them
 * every few steps (at its progress bar's rate) waits for the GPU only then, instead of after every
 * step; on the cpu reading is free. Filled by `softmaxCrossEntropySums`.
 *
 * @example
 * ```ts
 * const sums = new LossSums(backend);
 * softmaxCrossEntropySums(logits, labels, sums, { grad });
 * const { loss, correct, rows } = sums.read(); // mean loss = loss / rows
 * ```
 */
export class LossSums {
  constructor(readonly backend: Backend) {}

  /** The totals since the last read (a GPU's one read-back), then starts again from zero. */
  read(): LossTotals {
    return this.backend.readLossSums(this);
  }

  dispose(): void {
    this.backend.freeLossSums(this);
  }
}
