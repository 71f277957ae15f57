import { type ChildProcess, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TrainConfigInput } from '@sprout/trainer';
import { checkpointPath, runLockHolder } from '@sprout/trainer/internals';
import type { AshaJob } from './asha.js';
import type { TrialEvents, TrialRunner } from './trialRunner.js';
import type { TrialJob, TrialMessage } from './trialWorker.js';
import { curvePoint, type TrialRecord } from './tuneState.js';

/** Trials in worker processes on this machine, at most `workers` at once, reporting over IPC. */
export class LocalTrials implements TrialRunner {
  readonly waitsForJobsOnStop = true;
  private readonly live = new Set<ChildProcess>();
  private stopping = false;

  constructor(
    private readonly options: {
      workers: number;
      threadsPerTrial: number;
      workerScript?: string;
      workerArgs?: string[];
      say: (line: string) => void;
    },
  ) {}

  get running(): number {
    return this.live.size;
  }

  hasRoom(): boolean {
    return this.live.size < this.options.workers;
  }

  async start(
    _job: AshaJob,
    trial: TrialRecord,
    config: TrainConfigInput,
    events: TrialEvents,
  ): Promise<void> {
    // A worker of a tune that was killed may still be saving its checkpoint there.
    await waitForUnlocked(trial.dir, this.options.say);
    const { child, stderr } = this.fork();
    let outcome: TrialMessage | null = null;
    child.on('message', (m: TrialMessage) => {
      if (m.type !== 'epoch') outcome = m;
      else events.epoch(curvePoint(m.record));
    });
    child.on('exit', (code, signal) => {
      this.live.delete(child);
      const exit = signal ?? code;
      const message = outcome as TrialMessage | null;
      if (message?.type === 'done' && !message.result.interrupted)
        events.ended({ type: 'done', score: message.result.bestDevAccuracy ?? 0 });
      else if (message?.type === 'failed') events.ended({ type: 'failed', message: message.message });
      else if (typeof exit === 'string' || this.stopping || message?.type === 'done')
        // Killed by a signal, not by its own error (a Ctrl-C or SIGTERM to the whole process
        // group reaches the workers too), or stopped by us: the trial goes on from its checkpoint.
        events.ended({ type: 'stopped', why: `trial ${trial.id}'s worker was stopped (${exit})` });
      else
        events.ended({
          type: 'failed',
          message: `worker exited (${exit}): ${stderr().trim().split('\n').pop() ?? ''}`,
        });
    });
    const message: TrialJob = { config, resume: existsSync(checkpointPath(trial.dir)) };
    child.send(message, (error) => {
      if (error) stderr(error.message);
    });
    this.live.add(child);
  }

  async poll(): Promise<void> {}

  stop(): void {
    this.stopping = true;
    for (const child of this.live) child.kill('SIGTERM');
  }

  async close(): Promise<void> {}

  /** A worker process with its stderr's last 2,000 characters kept (and send/spawn errors added). */
  private fork(): { child: ChildProcess; stderr: (add?: string) => string } {
    const { workerScript, workerArgs, threadsPerTrial } = this.options;
    const child = fork(workerScript ?? packageScript('trialProcess'), workerArgs ?? [], {
      env: { ...process.env, SPROUT_THREADS: String(threadsPerTrial) },
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
}

/** A built entry of this package beside this module (from the sources, as in its tests: dist's). */
export function packageScript(name: 'trialProcess' | 'workerProcess'): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) return join(dirname(here), '..', 'dist', `${name}.js`);
  return join(dirname(here), here.endsWith('.cjs') ? `${name}.cjs` : `${name}.js`);
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
