import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { SPROUT_VERSION, type TrainConfigInput } from '@sprout/trainer';
import { ensureDirectory, writeFileAtomic } from '@sprout/trainer/internals';
import { type ConnectionOptions, Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { AshaJob } from './asha.js';
import { dataPaths } from './dataPaths.js';
import { packageScript } from './localTrials.js';
import { openRedis, QueueUnavailableError, redisOptions } from './queueConnection.js';
import { type QueueTrialJob, type QueueTrialResult, refusalsKey, TRIAL_DIR_MARK } from './queueJob.js';
import { jobIdOf, loadRunFiles, QUEUE_NAME, QUEUE_PREFIX, removeTuneKeys } from './queueStore.js';
import { type QueueAddress, scrub } from './queueUrl.js';
import type { TrialEvents, TrialRunner } from './trialRunner.js';
import type { CurvePoint, TrialRecord } from './tuneState.js';

/** How long Redis may not answer before the tune stops with an error (a restart takes seconds). */
export const REDIS_LOST_MS = 15_000;

interface Tracked {
  data: QueueTrialJob;
  job: AshaJob;
  trial: TrialRecord;
  events: TrialEvents;
  state: string;
  lastEpoch: number;
}

/**
 * Trials as BullMQ jobs on Redis, trained by `sprout worker` processes anywhere (and by
 * `workers` local ones started here). Jobs are added one at a time as workers take them (a job
 * waiting in the queue means no worker is free), so asynchronous promotion sees every result
 * that came in first. A job's id is fixed by its tune, trial and rung, so adding it again after
 * a coordinator restart finds the job that is already there (running, or done with its result).
 */
export class QueueTrials implements TrialRunner {
  readonly waitsForJobsOnStop = false;
  private readonly tracked = new Map<string, Tracked>();
  private readonly queue: Queue<QueueTrialJob, QueueTrialResult>;
  private readonly redis: Redis;
  private readonly lastError: () => string | null;
  private readonly locals: ChildProcess[] = [];
  private refusalsSeen = 0;

  constructor(
    private readonly address: QueueAddress,
    private readonly tune: { id: string; dataSha256: string },
    private readonly options: { workers: number; threadsPerTrial: number; say: (line: string) => void },
  ) {
    this.queue = new Queue(QUEUE_NAME, {
      // ioredis options; BullMQ's type names its own copy of ioredis's.
      connection: redisOptions(address) as ConnectionOptions,
      prefix: QUEUE_PREFIX,
    });
    this.queue.on('error', () => {}); // seen by poll() as Redis not answering
    ({ redis: this.redis, lastError: this.lastError } = openRedis(address));
    for (let i = 0; i < options.workers; i++) this.locals.push(this.startLocalWorker());
  }

  get running(): number {
    return this.tracked.size;
  }

  hasRoom(): boolean {
    for (const t of this.tracked.values())
      if (t.state !== 'active' && t.state !== 'completed' && t.state !== 'failed') return false;
    return true;
  }

  async start(
    job: AshaJob,
    trial: TrialRecord,
    config: TrainConfigInput,
    events: TrialEvents,
  ): Promise<void> {
    const id = jobIdOf(this.tune.id, trial.id, job.rung);
    const data: QueueTrialJob = {
      tuneId: this.tune.id,
      trial: trial.id,
      rung: job.rung,
      epochs: job.epochs,
      // Data paths as this machine resolves them (workers elsewhere map them with --data-dir).
      config: { ...config, ...dataPaths(config as Record<string, unknown>) },
      sproutVersion: SPROUT_VERSION,
      dataSha256: this.tune.dataSha256,
    };
    this.tracked.set(id, { data, job, trial, events, state: 'waiting', lastEpoch: -1 });
    await this.guard(this.add(id, data));
  }

  /** Adds the job; if one with its id is there already (a coordinator restart), that one stays. */
  private add(id: string, data: QueueTrialJob) {
    return this.queue.add('trial', data, {
      jobId: id,
      // Retries are for what goes wrong around a trial (Redis, a worker's disk); a trial's
      // own failure is a result, and a killed worker's job is stalled, not failed.
      attempts: 5,
      backoff: { type: 'fixed', delay: 2000 },
      removeOnComplete: false,
      removeOnFail: false,
    });
  }

  async poll(): Promise<void> {
    // Commands wait for a reconnect rather than fail: the guard's clock is what says "lost".
    await this.guard(this.pollOnce());
  }

  private async pollOnce(): Promise<void> {
    for (const [id, t] of this.tracked) {
      // The state first, then the job: a job read first could finish before its state is read,
      // and then look completed without its return value.
      const state = await this.queue.getJobState(id);
      const job =
        state === 'unknown' ? undefined : await Job.fromId<QueueTrialJob, QueueTrialResult>(this.queue, id);
      if (!job) {
        // start() has had its add acknowledged (the search awaits it before polling), so Redis
        // came back without its data: the job (and its checkpoints) are gone; the trial trains
        // again from its start, which gives the same result.
        this.options.say(
          `trial ${t.trial.id}, rung ${t.job.rung}: its job is no longer in Redis (restarted without its data?): queued again`,
        );
        await this.add(id, t.data);
        continue;
      }
      t.state = state;
      const point = job.progress as CurvePoint | number;
      if (typeof point === 'object' && point !== null && point.epoch > t.lastEpoch) {
        t.lastEpoch = point.epoch;
        t.events.epoch(point);
      }
      if (t.state === 'completed') {
        this.tracked.delete(id);
        const result = job.returnvalue;
        // A failed trial's files too: the last good checkpoint its message names.
        await this.download(t.trial);
        if (result.type === 'done') t.events.ended({ type: 'done', score: result.bestDevAccuracy });
        else
          t.events.ended({ type: 'failed', message: result.message.split(TRIAL_DIR_MARK).join(t.trial.dir) });
      } else if (t.state === 'failed') {
        this.tracked.delete(id);
        t.events.ended({
          type: 'failed',
          message: `the queue gave up on it: ${scrub(job.failedReason, this.address)}`,
        });
      }
    }
    const refusals = await this.redis.lrange(refusalsKey(this.tune.id), this.refusalsSeen, -1);
    this.refusalsSeen += refusals.length;
    for (const line of refusals) this.options.say(`a worker refused a job: ${line}`);
  }

  stop(): void {
    for (const child of this.locals) child.kill('SIGTERM');
  }

  /** Once the tune has its result: its jobs and keys go from Redis (the tune directory has it all). */
  async cleanUp(jobIds: string[]): Promise<void> {
    await this.guard(
      (async () => {
        for (const id of jobIds) await this.queue.remove(id).catch(() => 0);
        await removeTuneKeys(this.redis, this.tune.id);
      })(),
    );
  }

  async close(): Promise<void> {
    this.stop();
    await Promise.all(
      this.locals.map((child) =>
        child.exitCode !== null || child.signalCode !== null
          ? null
          : new Promise((resolve) => child.once('exit', resolve)),
      ),
    );
    // With Redis gone, close() would wait for it: give it a moment, then drop the connections.
    await Promise.race([this.queue.close().catch(() => {}), new Promise((r) => setTimeout(r, 2000))]);
    void this.queue.disconnect().catch(() => {});
    this.redis.disconnect();
  }

  /** The rung's run files from Redis into the trial's directory here (model, history, checkpoint…). */
  private async download(trial: TrialRecord): Promise<void> {
    const files = await loadRunFiles(this.redis, this.tune.id, trial.id);
    ensureDirectory(trial.dir);
    for (const [name, bytes] of Object.entries(files)) writeFileAtomic(join(trial.dir, name), bytes);
  }

  /** A Redis call that fails with QueueUnavailableError once Redis has not answered for too long. */
  private async guard<T>(call: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        call,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('no answer')), REDIS_LOST_MS);
        }),
      ]);
    } catch (error) {
      // A bug is not a lost Redis: say what it is.
      if (error instanceof TypeError || error instanceof RangeError || error instanceof ReferenceError)
        throw error;
      throw this.lost(error as Error);
    } finally {
      clearTimeout(timer);
    }
  }

  private lost(error: Error): QueueUnavailableError {
    const why = this.lastError() ?? scrub(error.message, this.address);
    return new QueueUnavailableError(
      `lost Redis at ${this.address.display} (${why}) for ${REDIS_LOST_MS / 1000} s: every finished trial is in the tune directory; once Redis is back (with its data), run the same command to continue`,
    );
  }

  /** A `sprout worker` on this machine, as a child that stops with the tune. */
  private startLocalWorker(): ChildProcess {
    const child = fork(packageScript('workerProcess'), [], {
      // The URL in the environment, not argv: `ps` shows argv to every user.
      env: {
        ...process.env,
        SPROUT_QUEUE_URL: this.urlForChild(),
        SPROUT_THREADS: String(this.options.threadsPerTrial),
      },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    child.stderr?.on('data', (d) => {
      for (const line of String(d).trim().split('\n')) this.options.say(scrub(line, this.address));
    });
    return child;
  }

  private urlForChild(): string {
    const { host, port, db, username, password, tls } = this.address.redis;
    const auth = password ? `${encodeURIComponent(username ?? '')}:${encodeURIComponent(password)}@` : '';
    const bracketed = host?.includes(':') ? `[${host}]` : host;
    return `${tls ? 'rediss' : 'redis'}://${auth}${bracketed}:${port}/${db ?? 0}`;
  }
}
