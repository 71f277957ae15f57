import type { TrainConfigInput } from '@sprout/trainer';
import type { AshaJob } from './asha.js';
import type { CurvePoint, TrialRecord } from './tuneState.js';

/** How one job (a trial trained to its rung's epochs) ended. */
export type TrialOutcome =
  | { type: 'done'; score: number }
  | { type: 'failed'; message: string }
  /** Stopped before its rung's end (checkpoint kept): the job is still the trial's to finish. */
  | { type: 'stopped'; why: string };

/** What a runner tells the search about a job it started. */
export interface TrialEvents {
  epoch(point: CurvePoint): void;
  ended(outcome: TrialOutcome): void;
}

/**
 * Where trials train: local worker processes ({@link LocalTrials}) or BullMQ workers on Redis
 * ({@link QueueTrials}). The search asks for room, starts jobs, and hears back through events.
 */
export interface TrialRunner {
  /** Jobs started and not yet ended. */
  readonly running: number;
  /** Whether another job should start now (a free local process; an idle queue worker). */
  hasRoom(): boolean;
  start(job: AshaJob, trial: TrialRecord, config: TrainConfigInput, events: TrialEvents): Promise<void>;
  /** Called about five times a second: learn what happened (the queue polls Redis). */
  poll(): Promise<void>;
  /** The tune is stopping: local processes save a checkpoint and exit; queue jobs go on. */
  stop(): void;
  /** Whether stop() waits for running jobs to end (local) or leaves them running (queue). */
  readonly waitsForJobsOnStop: boolean;
  close(): Promise<void>;
}
