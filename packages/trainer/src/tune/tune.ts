import { type ChildProcess, fork } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { availableCores } from '@sprout/tensor';
import { checkpointPath } from '../checkpoint.js';
import { ConfigError, RunDirectoryError } from '../errors.js';
import { evaluateSaved } from '../evaluateSaved.js';
import type { EpochRecord } from '../history.js';
import { ensureDirectory } from '../runFiles.js';
import { acquireRunLock, runLockHolder } from '../runLock.js';
import { Asha, type AshaJob } from './asha.js';
import { readSearchSpace, type SearchSpace, sampleConfigurations, trialConfig } from './searchSpace.js';
import type { TrialJob, TrialMessage } from './trialWorker.js';
import { writeTuneReport } from './tuneReport.js';
import {
  curvePoint,
  logEvent,
  readTuneState,
  TUNE_STATE_FILE,
  type TuneState,
  writeTuneState,
} from './tuneState.js';

/** Options of {@link tune}. */
export interface TuneOptions {
  /** The search space file (JSON, see {@link searchSpaceSchema}). */
  spaceFile: string;
  /** The tune directory: tune.json, trials/NNN run directories, summary.md, curves.png. */
  outDir: string;
  /** Trials trained at once, each in its own process (one per core by default). */
  workers: number;
  /**
   * Kernel threads of each trial: a count, or `auto` (default): the cores this process may use
   * shared among the workers (16 cores, 4 workers: 4 threads each). Results do not depend on it.
   */
  threads?: 'auto' | number;
  /**
   * The script a worker process runs, with `workerArgs`: it must call {@link runTrialWorker}
   * (the CLI passes itself with `__tune-trial`).
   */
  workerScript: string;
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

/** Hands out ASHA jobs to worker processes until the search is over or stopped. */
async function runSearch(args: {
  asha: Asha;
  state: TuneState;
  pending: AshaJob[];
  params: Record<string, unknown>[];
  outDir: string;
  options: TuneOptions;
  save: () => void;
  say: (line: string) => void;
}): Promise<boolean> {
  const { asha, state, pending, params, outDir, options, save, say } = args;
  const live = new Map<number, ChildProcess>();
  let wake: () => void = () => {};
  let stopping = false;
  const threadsPerTrial =
    typeof options.threads === 'number'
      ? options.threads
      : Math.max(1, Math.floor(availableCores() / Math.max(1, options.workers)));
  const launch = (job: AshaJob) => {
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
    const child = fork(options.workerScript, options.workerArgs ?? [], {
      // Trials at once share the cores: each trains on its share of them.
      env: { ...process.env, SPROUT_THREADS: String(threadsPerTrial) },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr?.on('data', (d) => {
      stderr = (stderr + d).slice(-2000);
    });
    // A worker can die before it reads its job (a SIGTERM to the whole process group as it
    // starts): the send then fails with EPIPE. Its exit, handled below, says what happened.
    child.on('error', (error) => {
      stderr = `${stderr}${error.message}\n`.slice(-2000);
    });
    /** The job's rung is over with this score: ASHA, the trial and the running list learn it. */
    const endRung = (score: number) => {
      const result = { rung: job.rung, epochs: job.epochs, score };
      asha.record(id, result);
      trial.results.push(result);
      state.running = state.running.filter((j) => j.trial !== id);
      return result;
    };
    let outcome: TrialMessage | null = null;
    child.on('message', (m: TrialMessage) => {
      if (m.type === 'epoch') {
        trial.curve = trial.curve.filter((p) => p.epoch !== m.record.epoch);
        trial.curve.push(curvePoint(m.record));
        trial.curve.sort((a, b) => a.epoch - b.epoch);
      } else outcome = m;
    });
    child.on('exit', (code, signal) => {
      live.delete(id);
      const o = outcome as TrialMessage | null;
      if (o?.type === 'done' && !o.result.interrupted) {
        // The run's own history is complete even across kills (epoch messages can be lost).
        trial.curve = curveOf(trial.dir) ?? trial.curve;
        const result = endRung(o.result.bestDevAccuracy);
        logEvent(state, `trial ${id}: rung ${job.rung} done, best dev ${(result.score * 100).toFixed(2)}%`);
        say(`trial ${id} @${job.epochs} epochs: dev ${(result.score * 100).toFixed(2)}%`);
      } else if (o === null && signal !== null) {
        // Killed by a signal, not by its own error (a Ctrl-C or SIGTERM to the whole process
        // group reaches the workers too): the trial stays running, to continue from its
        // checkpoint, and the tune stops as on a stop request.
        if (!stopping) {
          stopping = true;
          say(`trial ${id}'s worker was stopped (${signal}): stopping; run the same tune again to continue`);
          for (const other of live.values()) other.kill('SIGTERM');
        }
      } else if (o?.type === 'failed' || (!stopping && o?.type !== 'done')) {
        const message =
          o?.type === 'failed'
            ? o.message
            : `worker exited (${signal ?? code}): ${stderr.trim().split('\n').pop() ?? ''}`;
        // A failed trial scores 0 at its rung: never promoted, and the search goes on.
        endRung(0);
        trial.failure = message;
        logEvent(state, `trial ${id}: failed: ${message}`);
        say(`trial ${id} failed: ${message}`);
      }
      save();
      wake();
    });
    child.send(
      {
        config: trialConfig(state.space, trial.params, { epochs: job.epochs, outDir: trial.dir }),
        resume,
      } satisfies TrialJob,
      (error) => {
        if (error) stderr = `${stderr}${error.message}\n`.slice(-2000);
      },
    );
    live.set(id, child);
  };
  while (true) {
    if (!stopping && options.shouldStop?.()) {
      stopping = true;
      say(`stopping: ${live.size} trial(s) save a checkpoint; run the same tune again to continue`);
      for (const child of live.values()) child.kill('SIGTERM');
    }
    if (stopping && live.size === 0) break;
    while (!stopping && live.size < options.workers) {
      const job = pending.shift() ?? asha.next();
      if (!job) break;
      // A worker of a tune that was killed may still be saving its checkpoint there.
      await waitForUnlocked(trialDir(outDir, job.trial), say);
      launch(job);
    }
    if (live.size === 0) break;
    await new Promise<void>((r) => {
      wake = r;
      setTimeout(r, 200);
    });
  }
  if (stopping) {
    logEvent(state, 'stopped; run the same tune again to continue');
    save();
    return true;
  }
  return false;
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
