import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { availableCores } from '@sprout/tensor';
import { ConfigError, type EpochRecord, evaluateSaved, RunDirectoryError } from '@sprout/trainer';
import { acquireRunLock, ensureDirectory, identifyData } from '@sprout/trainer/internals';
import { Asha, type AshaJob } from './asha.js';
import { dataPaths } from './dataPaths.js';
import { LocalTrials } from './localTrials.js';
import { checkReachable } from './queueConnection.js';
import { jobIdOf } from './queueStore.js';
import { QueueTrials } from './queueTrials.js';
import { parseQueueUrl } from './queueUrl.js';
import { readSearchSpace, type SearchSpace, sampleConfigurations, trialConfig } from './searchSpace.js';
import type { TrialOutcome, TrialRunner } from './trialRunner.js';
import { writeTuneReport } from './tuneReport.js';
import {
  curvePoint,
  logEvent,
  readTuneState,
  type TrialRecord,
  TUNE_STATE_FILE,
  type TuneState,
  writeTuneState,
} from './tuneState.js';

/** Options of {@link tune}. */
export interface TuneOptions {
  /** The search space file (JSON; see {@link SearchSpace}). */
  spaceFile: string;
  /** The tune directory: tune.json, trials/NNN run directories, summary.md, curves.png. */
  outDir: string;
  /**
   * Trials trained at once, each in its own process (`sprout tune --workers` defaults to one per
   * core). With `queue`: how many queue workers to start on this machine (0: coordinate only,
   * the workers run elsewhere).
   */
  workers: number;
  /**
   * `redis://[:password@]host[:port][/db]` or `rediss://…` (TLS): run the trials as BullMQ jobs
   * on that Redis, trained by `sprout worker --queue …` processes on any machine that reaches it
   * and has the data. Checkpoints and results travel through Redis; the tune directory stays
   * here. The password is never logged or saved.
   */
  queue?: string;
  /**
   * Kernel threads of each trial: a count, or `auto` (default): the cores this process may use
   * shared among the workers (16 cores, 4 workers: 4 threads each). Results do not depend on it.
   */
  threads?: 'auto' | number;
  /**
   * The script a worker process runs, with `workerArgs`: it must call {@link runTrialWorker}.
   * Default: this package's own `dist/trialProcess.js` (`.cjs` from CommonJS).
   */
  workerScript?: string;
  workerArgs?: string[];
  onMessage?: (line: string) => void;
  /** Asked often; true stops the workers (each saves a checkpoint) and returns. */
  shouldStop?: () => boolean;
}

/** How a tune ended. */
export interface TuneResult {
  interrupted: boolean;
  state: TuneState;
  /** The chosen trial's directory (its model.sprout holds the best dev weights). */
  chosenDir: string | null;
}

/**
 * Hyperparameter search by successive halving (see {@link Asha}) over a space file. Trials are
 * training runs in local worker processes or, with `queue`, BullMQ jobs on Redis that any number
 * of `sprout worker` processes take (see {@link runQueueWorker}); chosen on **dev accuracy only**: every trial runs
 * with `evaluateTest: false`. Once the search has chosen, the chosen model is evaluated on the
 * test set — the only time the test set is read — and the time of each is logged in tune.json.
 *
 * Resumable: tune.json is rewritten after every event and each trial has checkpoints, so running
 * the same tune again after a kill goes on where it stopped; a finished tune just reports again.
 *
 * Deterministic with one worker (an interrupted tune then ends exactly as an uninterrupted one).
 * With several, as in any asynchronous successive halving, which trial is promoted can depend on
 * which finished first, so two runs of the same space may choose differently — unless the space
 * says `"promotion": "synchronous"`: then the choice is the same for any number of workers,
 * local or on a queue, killed or not. Each trial itself is deterministic (threads, a resume from
 * its checkpoint and the machine that trains it do not change its numbers).
 */
export async function tune(options: TuneOptions): Promise<TuneResult> {
  const outDir = resolve(options.outDir);
  const say = options.onMessage ?? (() => {});
  const space = readSearchSpace(options.spaceFile);
  let state = readTuneState(outDir);
  // The comment may change; what is searched, and how, may not.
  const searched = (s: SearchSpace) => JSON.stringify({ ...s, $comment: undefined });
  if (state && searched(state.space) !== searched(space))
    throw new ConfigError(
      'space',
      `${options.spaceFile} differs from the space the tune in ${outDir} was started with: give another --out, or the same space to continue`,
    );
  // A tune directory is the tune's own: a new one goes only where nothing else lives.
  if (!state && existsSync(outDir) && readdirSync(outDir).length > 0)
    throw new RunDirectoryError(
      `${outDir} is not empty and holds no tune (${TUNE_STATE_FILE}): give a new or empty --out`,
    );
  ensureDirectory(outDir);
  const release = acquireRunLock(outDir);
  process.on('exit', release);
  try {
    const asha = new Asha(space);
    const params = sampleConfigurations(space);
    if (!state) {
      state = {
        version: 1,
        spaceFile: resolve(options.spaceFile),
        space,
        rungs: asha.rungs,
        trials: [],
        running: [],
        log: [],
        chosen: null,
        test: null,
      };
      logEvent(state, `started: ${space.trials} trials, rungs ${asha.rungs.join('/')} epochs`);
    } else if (state.test) {
      say(`the tune in ${outDir} is finished; its result again:`);
    } else {
      logEvent(state, `continued (${state.running.length} trial jobs were running)`);
      say(`continuing the tune in ${outDir}`);
    }
    const s = state;
    for (const t of s.trials) for (const r of t.results) asha.record(t.id, r);
    // Jobs in flight at the last save go first; a trial started but without a finished rung (or a
    // failure, which counts as one) is one of them even if the save came before its job was noted.
    const pending: AshaJob[] = [...s.running];
    for (const t of s.trials)
      if (t.results.length === 0 && !pending.some((j) => j.trial === t.id))
        pending.push({ trial: t.id, rung: 0, epochs: asha.rungs[0] });
    for (const job of pending) asha.claim(job);
    const save = () => writeTuneState(outDir, s);
    save();

    if (!s.chosen) {
      const runner = await openRunner(options, s, params, outDir, say);
      save();
      let interrupted: boolean;
      try {
        interrupted = await new Search({
          asha,
          state: s,
          pending,
          params,
          outDir,
          options,
          save,
          say,
          runner,
        }).run();
      } finally {
        await runner.close();
      }
      if (interrupted) return { interrupted: true, state: s, chosenDir: null };
      const best = asha.best();
      const trial = best ? s.trials[best.trial] : undefined;
      if (!best || !trial || trial.failure)
        throw new Error(
          `every trial failed (see ${join(outDir, TUNE_STATE_FILE)}); the first: ${s.trials.find((t) => t.failure)?.failure ?? 'none ran'}`,
        );
      s.chosen = {
        trial: best.trial,
        rung: best.rung,
        devAccuracy: best.score,
        at: new Date().toISOString(),
      };
      logEvent(
        s,
        `chose trial ${best.trial} on dev accuracy ${(best.score * 100).toFixed(2)}% (test set not read yet)`,
      );
      save();
      say(
        `chosen on dev: trial ${best.trial} (${(best.score * 100).toFixed(2)}%) — ${JSON.stringify(trial.params)}`,
      );
    }
    const chosenDir = s.trials[s.chosen.trial].dir;
    if (!s.test) {
      // The first and only read of the test set.
      // On a queue the model names the IDX directory of the worker that trained it (its
      // --data-dir); the test set is read here, from this machine's copy (the same data: workers
      // check its hash). CSV paths stay the model's: naming a CSV would score that whole file.
      const here = s.queue ? { dataDir: dataPaths(s.space.base).dataDir } : {};
      const evaluation = await evaluateSaved({ outDir: chosenDir, backend: 'cpu', ...here });
      s.test = {
        accuracy: evaluation.accuracy,
        loss: evaluation.loss,
        at: new Date().toISOString(),
        modelFile: evaluation.modelFile,
      };
      logEvent(
        s,
        `test set read for the first time: trial ${s.chosen.trial}, ${(evaluation.accuracy * 100).toFixed(2)}%`,
      );
      save();
    }
    await writeTuneReport(outDir, s);
    if (options.queue && s.queue) await forgetQueuedTune(options.queue, s, say);
    return { interrupted: false, state: s, chosenDir };
  } finally {
    release();
    process.off('exit', release);
  }
}

/** What a search works with: the ASHA bookkeeping, the tune's state and how to save it. */
interface SearchArgs {
  asha: Asha;
  state: TuneState;
  pending: AshaJob[];
  params: Record<string, unknown>[];
  outDir: string;
  options: TuneOptions;
  save: () => void;
  say: (line: string) => void;
  runner: TrialRunner;
}

/** The kernel threads each trial gets: the cores shared among the trials at once. */
function threadsPerTrial({ threads, workers }: TuneOptions): number {
  return typeof threads === 'number'
    ? threads
    : Math.max(1, Math.floor(availableCores() / Math.max(1, workers)));
}

/** Local worker processes, or (with `queue`) BullMQ jobs on Redis with the tune's id and data hash. */
async function openRunner(
  options: TuneOptions,
  state: TuneState,
  params: Record<string, unknown>[],
  outDir: string,
  say: (line: string) => void,
): Promise<TrialRunner> {
  const threads = threadsPerTrial(options);
  if (!options.queue) return new LocalTrials({ ...options, threadsPerTrial: threads, say });
  const address = parseQueueUrl(options.queue);
  await checkReachable(address);
  if (!state.queue) {
    // Workers check their data against this hash before they train a job.
    const data = await identifyData(trialConfig(state.space, params[0], { epochs: 1, outDir }));
    state.queue = { tuneId: randomBytes(6).toString('hex'), dataSha256: data.sha256 };
    logEvent(state, `on the queue at ${address.display} as tune ${state.queue.tuneId}`);
  }
  say(
    `tune ${state.queue.tuneId} on ${address.display}: start workers with \`sprout worker --queue ${address.display}\`${options.workers > 0 ? ` (${options.workers} started here)` : ''}`,
  );
  return new QueueTrials(
    address,
    { id: state.queue.tuneId, dataSha256: state.queue.dataSha256 },
    { workers: options.workers, threadsPerTrial: threads, say },
  );
}

/** The tune's jobs and keys leave Redis once its result is on disk. */
async function forgetQueuedTune(queue: string, state: TuneState, say: (line: string) => void): Promise<void> {
  const { queue: q } = state;
  if (!q) return;
  const runner = new QueueTrials(
    parseQueueUrl(queue),
    { id: q.tuneId, dataSha256: q.dataSha256 },
    {
      workers: 0,
      threadsPerTrial: 1,
      say,
    },
  );
  try {
    await runner.cleanUp(state.trials.flatMap((t) => t.results.map((r) => jobIdOf(q.tuneId, t.id, r.rung))));
  } finally {
    await runner.close();
  }
}

/** Hands out ASHA jobs to the runner until the search is over or stopped. */
class Search {
  private wake: () => void = () => {};
  private stopping = false;

  constructor(private readonly args: SearchArgs) {}

  /** True if the search stopped before its end (run the tune again to continue). */
  async run(): Promise<boolean> {
    const { asha, pending, options, state, save, runner } = this.args;
    while (true) {
      if (!this.stopping && options.shouldStop?.())
        this.stopAll(
          runner.waitsForJobsOnStop
            ? `stopping: ${runner.running} trial(s) save a checkpoint; run the same tune again to continue`
            : `stopping: the ${runner.running} queued trial(s) go on in their workers; run the same tune again to continue`,
        );
      if (this.stopping && (runner.running === 0 || !runner.waitsForJobsOnStop)) break;
      while (!this.stopping && runner.hasRoom()) {
        const job = pending.shift() ?? asha.next();
        if (!job) break;
        await this.launch(job);
      }
      if (runner.running === 0) break;
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, 200);
      });
      await runner.poll();
    }
    if (!this.stopping) return false;
    logEvent(state, 'stopped; run the same tune again to continue');
    save();
    return true;
  }

  /** Starts `job`: its trial's record, the log, and the job itself. */
  private async launch(job: AshaJob): Promise<void> {
    const { state, params, outDir, save, say, runner } = this.args;
    const id = job.trial;
    state.trials[id] ??= { id, params: params[id], dir: trialDir(outDir, id), results: [], curve: [] };
    const trial = state.trials[id];
    if (!state.running.some((j) => j.trial === id)) state.running.push(job);
    const resume = trial.curve.length > 0 || trial.results.length > 0;
    logEvent(
      state,
      `trial ${id}: ${resume ? 'continues' : 'starts'} to ${job.epochs} epochs (rung ${job.rung})`,
    );
    save();
    say(`trial ${id} → ${job.epochs} epochs ${JSON.stringify(trial.params)}`);
    const config = trialConfig(state.space, trial.params, { epochs: job.epochs, outDir: trial.dir });
    await runner.start(job, trial, config, {
      epoch: (point) => {
        trial.curve = trial.curve.filter((p) => p.epoch !== point.epoch);
        trial.curve.push(point);
        trial.curve.sort((a, b) => a.epoch - b.epoch);
      },
      ended: (outcome) => {
        this.ended(job, trial, outcome);
        save();
        this.wake();
      },
    });
  }

  /** A job is over: its rung done, the trial failed, or it stopped (to continue later). */
  private ended(job: AshaJob, trial: TrialRecord, outcome: TrialOutcome): void {
    const { state, say } = this.args;
    const id = trial.id;
    if (outcome.type === 'done') {
      // The run's own history is complete even across kills (epoch messages can be lost).
      trial.curve = curveOf(trial.dir) ?? trial.curve;
      const result = this.endRung(job, trial, outcome.score);
      logEvent(state, `trial ${id}: rung ${job.rung} done, best dev ${(result.score * 100).toFixed(2)}%`);
      say(`trial ${id} @${job.epochs} epochs: dev ${(result.score * 100).toFixed(2)}%`);
    } else if (outcome.type === 'stopped') {
      // The trial stays running, to continue from its checkpoint, and the tune stops as on a
      // stop request.
      if (!this.stopping) this.stopAll(`${outcome.why}: stopping; run the same tune again to continue`);
    } else {
      // A failed trial scores 0 at its rung: never promoted, and the search goes on.
      this.endRung(job, trial, 0);
      trial.failure = outcome.message;
      logEvent(state, `trial ${id}: failed: ${outcome.message}`);
      say(`trial ${id} failed: ${outcome.message}`);
    }
  }

  /** The job's rung is over with this score: ASHA, the trial and the running list learn it. */
  private endRung(job: AshaJob, trial: TrialRecord, score: number) {
    const { asha, state } = this.args;
    const result = { rung: job.rung, epochs: job.epochs, score };
    asha.record(trial.id, result);
    trial.results.push(result);
    state.running = state.running.filter((j) => j.trial !== trial.id);
    return result;
  }

  /** Says why, and stops the runner (local trials save a checkpoint; queued ones go on). */
  private stopAll(why: string): void {
    this.stopping = true;
    this.args.say(why);
    this.args.runner.stop();
  }
}

function trialDir(outDir: string, trial: number): string {
  return join(outDir, 'trials', String(trial).padStart(3, '0'));
}

/** A trial run's curve from its history.json, or null if it has none yet. */
function curveOf(dir: string) {
  try {
    const history = JSON.parse(readFileSync(join(dir, 'history.json'), 'utf8')) as EpochRecord[];
    return history.map(curvePoint);
  } catch {
    return null;
  }
}
