import type { TrainConfig } from './configTypes.js';
import type { EpochRecord } from './history.js';

/** Progress within an epoch, for progress bars. */
export interface BatchProgress {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  loss: number;
  accuracy: number;
  samplesPerSecond: number;
  learningRate: number;
  /** The first hidden layer's width. */
  hiddenSize: number;
  /** Every hidden layer's width. */
  hiddenSizes: number[];
  batchSize: number;
  rssMB: number;
  /** Seconds left in this epoch at the current speed. */
  etaSeconds: number;
}

/** Hooks the loop calls; the CLI draws progress from them, tests observe them. */
export interface TrainHooks {
  onStart?(info: {
    backendReport: string;
    config: TrainConfig;
    resumedFromEpoch: number | null;
    trainSize: number;
  }): void;
  onBatch?(progress: BatchProgress): void;
  onEpoch?(record: EpochRecord): void;
  onMessage?(line: string): void;
  /**
   * Asked after every optimizer step (every batch when accumulate is 1); true makes the loop save
   * a checkpoint and return (Ctrl-C).
   */
  shouldStop?(): boolean;
  /**
   * Called where the loop lets the event loop in (every ~25 ms of training); a promise returned
   * holds training until it settles, and that time does not count as training time (the docs
   * demo's Pause button).
   */
  pausePoint?(): Promise<void> | undefined;
}
