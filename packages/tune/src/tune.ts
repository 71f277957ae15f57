import { type ChildProcess, fork } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { availableCores } from '@sprout/tensor';
import { ConfigError, type EpochRecord, evaluateSaved, RunDirectoryError } from '@sprout/trainer';
import { acquireRunLock, checkpointPath, ensureDirectory, runLockHolder } from '@sprout/trainer/internals';
import { Asha, type AshaJob } from './asha.js';
import { readSearchSpace, type SearchSpace, sampleConfigurations, trialConfig } from './searchSpace.js';
import type { TrialJob, TrialMessage } from './trialWorker.js';
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
  /** Trials trained at once, each in its own process (`sprout tune --workers` defaults to one per core). */
  workers: number;
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
 * Hyperparameter search by asynchronous successive halving (see {@link Asha}) over a space file.
 * Trials are training runs in worker processes, chosen on **dev accuracy only**: every trial runs
 * with `evaluateTest: false`. Once the search has chosen, the chosen model is evaluated on the
 * test set — the only time the test set is read — and the time of each is logged in tune.json.
 *
 * Resumable: tune.json is rewritten after every event and each trial has checkpoints, so running
 * the same tune again after a kill goes on where it stopped; a finished tune just reports again.
 *
 * Deterministic with one worker (an interrupted tune then ends exactly as an uninterrupted one).
 * With several, as in any asynchronous successive halving, which trial is promoted can depend on
 * which finished first, so two runs of the same space may choose differently; each trial itself
 * is deterministic (threads do not change its numbers).
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
      const interrupted = await runSearch({ asha, state: s, pending, params, outDir, options, save, say });
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
      const evaluation = await evaluateSaved({ outDir: chosenDir, backend: 'cpu' });
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
}

/** Hands out ASHA jobs to worker processes until the search is over or stopped; true if stopped. */
function runSearch(args: SearchArgs): Promise<boolean> {
  return new Search(args).run();
}

/** Trials in worker processes, at most `workers` at once, each reporting back over IPC. */
class Search {
  private readonly live = new Map<number, ChildProcess>();
  private wake: () => void = () => {};
  private stopping = false;
  private readonly threadsPerTrial: number;

  constructor(private readonly args: SearchArgs) {
    const { threads, workers } = args.options;
    // Trials at once share the cores: each trains on its share of them.
    this.threadsPerTrial =
      typeof threads === 'number'
        ? threads
        : Math.max(1, Math.floor(availableCores() / Math.max(1, workers)));
  }

  async run(): Promise<boolean> {
    const { asha, pending, outDir, options, state, save, say } = this.args;
    while (true) {
      if (!this.stopping && options.shouldStop?.())
        this.stopAll(
          `stopping: ${this.live.size} trial(s) save a checkpoint; run the same tune again to continue`,
        );
      if (this.stopping && this.live.size === 0) break;
      while (!this.stopping && this.live.size < options.workers) {
        const job = pending.shift() ?? asha.next();
        if (!job) break;
        // A worker of a tune that was killed may still be saving its checkpoint there.
        await waitForUnlocked(trialDir(outDir, job.trial), say);
        this.launch(job);
      }
      if (this.live.size === 0) break;
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, 200);
      });
    }
    if (!this.stopping) return false;
    logEvent(state, 'stopped; run the same tune again to continue');
    save();
    return true;
  }

  /** Starts `job` in a worker process: its trial's record, the log, the process and its job. */
  private launch(job: AshaJob): void {
    const { state, params, outDir, save, say } = this.args;
    const id = job.trial;
    state.trials[id] ??= { id, params: params[id], dir: trialDir(outDir, id), results: [], curve: [] };
    const trial = state.trials[id];
    if (!state.running.some((j) => j.trial === id)) state.running.push(job);
    const resume = existsSync(checkpointPath(trial.dir));
    logEvent(
      state,
      `trial ${id}: ${resume ? 'continues' : 'starts'} to ${job.epochs} epochs (rung ${job.rung})`,
    );
    save();
    say(`trial ${id} → ${job.epochs} epochs ${JSON.stringify(trial.params)}`);
    const { child, stderr } = this.fork();
    let outcome: TrialMessage | null = null;
    child.on('message', (m: TrialMessage) => {
      if (m.type !== 'epoch') outcome = m;
      else {
        trial.curve = trial.curve.filter((p) => p.epoch !== m.record.epoch);
        trial.curve.push(curvePoint(m.record));
        trial.curve.sort((a, b) => a.epoch - b.epoch);
      }
    });
    child.on('exit', (code, signal) => {
      this.live.delete(id);
      this.ended(job, trial, outcome, signal ?? code, stderr());
      save();
      this.wake();
    });
    const message: TrialJob = {
      config: trialConfig(state.space, trial.params, { epochs: job.epochs, outDir: trial.dir }),
      resume,
    };
    child.send(message, (error) => {
      if (error) stderr(error.message);
    });
    this.live.set(id, child);
  }

  /** A worker process with its stderr's last 2,000 characters kept (and send/spawn errors added). */
  private fork(): { child: ChildProcess; stderr: (add?: string) => string } {
    const { workerScript, workerArgs } = this.args.options;
    const child = fork(workerScript ?? trialProcessScript(), workerArgs ?? [], {
      env: { ...process.env, SPROUT_THREADS: String(this.threadsPerTrial) },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let text = '';
    const stderr = (add?: string) => {
      if (add !== undefined) text = `${text}${add}\n`.slice(-2000);
      return text;
    };
    child.stderr?.on('data', (d) => {
      text = (text + d).slice(-2000);
    });
    // A worker can die before it reads its job (a SIGTERM to the whole process group as it
    // starts): the send then fails with EPIPE. Its exit says what happened.
    child.on('error', (error) => stderr(error.message));
    return { child, stderr };
  }

  /** A worker is gone: its rung done, the trial failed, or the tune stopping (by a signal). */
  private ended(
    job: AshaJob,
    trial: TrialRecord,
    outcome: TrialMessage | null,
    exit: NodeJS.Signals | number | null,
    stderr: string,
  ): void {
    const { state, say } = this.args;
    const id = trial.id;
    if (outcome?.type === 'done' && !outcome.result.interrupted) {
      // The run's own history is complete even across kills (epoch messages can be lost).
      trial.curve = curveOf(trial.dir) ?? trial.curve;
      const result = this.endRung(job, trial, outcome.result.bestDevAccuracy);
      logEvent(state, `trial ${id}: rung ${job.rung} done, best dev ${(result.score * 100).toFixed(2)}%`);
      say(`trial ${id} @${job.epochs} epochs: dev ${(result.score * 100).toFixed(2)}%`);
    } else if (outcome === null && typeof exit === 'string') {
      // Killed by a signal, not by its own error (a Ctrl-C or SIGTERM to the whole process
      // group reaches the workers too): the trial stays running, to continue from its
      // checkpoint, and the tune stops as on a stop request.
      if (!this.stopping)
        this.stopAll(
          `trial ${id}'s worker was stopped (${exit}): stopping; run the same tune again to continue`,
        );
    } else if (outcome?.type === 'failed' || (!this.stopping && outcome?.type !== 'done')) {
      const message =
        outcome?.type === 'failed'
          ? outcome.message
          : `worker exited (${exit}): ${stderr.trim().split('\n').pop() ?? ''}`;
      // A failed trial scores 0 at its rung: never promoted, and the search goes on.
      this.endRung(job, trial, 0);
      trial.failure = message;
      logEvent(state, `trial ${id}: failed: ${message}`);
      say(`trial ${id} failed: ${message}`);
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

  /** Says why, and asks every running trial to save a checkpoint and stop. */
  private stopAll(why: string): void {
    this.stopping = true;
    this.args.say(why);
    for (const child of this.live.values()) child.kill('SIGTERM');
  }
}

/** The built trial entry beside this module (from the sources, as in this package's tests: dist's). */
function trialProcessScript(): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) return join(dirname(here), '..', 'dist', 'trialProcess.js');
  return join(dirname(here), here.endsWith('.cjs') ? 'trialProcess.cjs' : 'trialProcess.js');
}

function trialDir(outDir: string, trial: number): string {
  return join(outDir, 'trials', String(trial).padStart(3, '0'));
}

/** How long to wait for a killed tune's worker to let go of its trial directory. */
const ORPHAN_WAIT_MS = 120_000;

async function waitForUnlocked(dir: string, say: (line: string) => void): Promise<void> {
  const until = Date.now() + ORPHAN_WAIT_MS;
  let told = false;
  for (let holder = runLockHolder(dir); holder !== null && Date.now() < until; holder = runLockHolder(dir)) {
    if (!told) say(`waiting for the earlier worker (pid ${holder}) to save its checkpoint in ${dir}`);
    told = true;
    await new Promise((r) => setTimeout(r, 100));
  }
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
