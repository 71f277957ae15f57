import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, type EpochRecord } from '@sprout/trainer';
import { fsErrorMessage, writeFileAtomic } from '@sprout/trainer/internals';
import type { AshaJob, RungResult } from './asha.js';
import type { SearchSpace } from './spaceTypes.js';

/** One epoch of a trial's curve. */
export interface CurvePoint {
  epoch: number;
  /** Null only for a run without a dev split (which a search space cannot ask for). */
  devAccuracy: number | null;
  devLoss: number | null;
  trainLoss: number | null;
  /** Must stay null in a tuning run: the trials never see the test set. */
  testAccuracy: number | null;
}

/** An epoch record's curve point. */
export function curvePoint({
  epoch,
  devAccuracy,
  devLoss,
  trainLoss,
  testAccuracy,
}: EpochRecord): CurvePoint {
  return { epoch, devAccuracy, devLoss, trainLoss, testAccuracy };
}

/** One trial: its drawn options, where it runs, its finished rungs and its curve. */
export interface TrialRecord {
  id: number;
  params: Record<string, unknown>;
  dir: string;
  results: RungResult[];
  curve: CurvePoint[];
  /** Set when the trial failed (diverged, …); it scores 0 and is never promoted. */
  failure?: string;
}

/** Everything a tune run knows, saved (atomically) after every event so a kill loses nothing. */
export interface TuneState {
  version: 1;
  spaceFile: string;
  space: SearchSpace;
  rungs: number[];
  trials: TrialRecord[];
  /** Jobs in flight at the last save (continued first when the tune runs again). */
  running: AshaJob[];
  /** What happened, in order, with ISO times: the record that the test set came last. */
  log: { at: string; event: string }[];
  chosen: { trial: number; rung: number; devAccuracy: number; at: string } | null;
  /**
   * Set when the tune runs on a queue: its id (in every job id and Redis key it owns) and the
   * SHA-256 of its data, which each worker checks. Never the queue's URL (it may hold a password).
   */
  queue?: { tuneId: string; dataSha256: string };
  test: { accuracy: number; loss: number; at: string; modelFile: string } | null;
}

export const TUNE_STATE_FILE = 'tune.json';

/** The state in `dir`, or null for a new tune. */
export function readTuneState(dir: string): TuneState | null {
  const file = join(dir, TUNE_STATE_FILE);
  if (!existsSync(file)) return null;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError('out', fsErrorMessage('read the tune state', file, error));
  }
  try {
    const state = JSON.parse(text) as TuneState;
    if (state.version !== 1) throw new Error(`version ${state.version}`);
    // Tunes started before promotion could be chosen were asynchronous.
    state.space.promotion ??= 'asynchronous';
    return state;
  } catch (error) {
    throw new ConfigError(
      'out',
      `${file} is not a tune state this version reads: ${(error as Error).message}`,
    );
  }
}

export function writeTuneState(dir: string, state: TuneState): void {
  writeFileAtomic(join(dir, TUNE_STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
}

export function logEvent(state: TuneState, event: string): void {
  state.log.push({ at: new Date().toISOString(), event });
}
