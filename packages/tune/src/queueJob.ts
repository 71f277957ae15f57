import type { TrainConfigInput } from '@sprout/trainer';

/** One rung of one trial, as a BullMQ job's data. */
export interface QueueTrialJob {
  tuneId: string;
  trial: number;
  rung: number;
  epochs: number;
  /** The trial's options; a worker trains them in its own directory (`outDir` is replaced). */
  config: TrainConfigInput;
  /** The coordinator's Sprout version: a worker with another refuses the job. */
  sproutVersion: string;
  /** SHA-256 of the coordinator's data: a worker that sees other data refuses the job. */
  dataSha256: string;
}

/** A job's return value: the rung's result, or the trial's own failure (diverged, bad options). */
export type QueueTrialResult =
  | { type: 'done'; bestDevAccuracy: number; epochs: number }
  | { type: 'failed'; message: string; diverged: boolean };

/**
 * Stands for the trial's directory in a failure's message: the worker's own directory is gone
 * (and on another machine); the coordinator writes the run files into its trial directory and
 * names that instead.
 */
export const TRIAL_DIR_MARK = '<trial dir>';

/** The Redis list where workers say why they refused a tune's job (the coordinator prints it). */
export function refusalsKey(tuneId: string): string {
  return `sprout:tune:${tuneId}:refusals`;
}
