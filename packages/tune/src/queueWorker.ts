import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkpointPath,
  readCheckpoint,
  SPROUT_VERSION,
  type TrainConfigInput,
  TrainingDivergedError,
  train,
} from '@sprout/trainer';
import { identifyData, LOCK_FILE } from '@sprout/trainer/internals';
import { type ConnectionOptions, type Job, WaitingError, Worker } from 'bullmq';
import { checkReachable, openRedis, redisOptions } from './queueConnection.js';
import { type QueueTrialJob, type QueueTrialResult, refusalsKey, TRIAL_DIR_MARK } from './queueJob.js';
import { loadCheckpoint, QUEUE_NAME, QUEUE_PREFIX, saveCheckpoint, saveRunFiles } from './queueStore.js';
import { parseQueueUrl, scrub } from './queueUrl.js';
import { curvePoint } from './tuneState.js';
import { workerScratch } from './workerScratch.js';

/** Options of {@link runQueueWorker}. */
export interface QueueWorkerOptions {
  /** `redis://[:password@]host[:port][/db]` or `rediss://…`: the Redis the coordinator uses. */
  queue: string;
  /** Trials this worker trains at once (default 1; each takes the cores it is given). */
  concurrency?: number;
  /**
   * Where the jobs' IDX data directory is on this machine, when not at the coordinator's path
   * (the data itself must be the same: its SHA-256 is checked).
   */
  dataDir?: string;
  /**
   * Where trials train: in a directory of this worker's own under it, removed when the worker
   * stops (and by the next worker on this host if it was killed). Default: the system's temp directory.
   */
  scratchDir?: string;
  onMessage?: (line: string) => void;
  /** Asked often; true stops the worker: running trials save a checkpoint and go back to the queue. */
  shouldStop?: () => boolean;
  /**
   * How long a job's lock lasts without renewal, and how often workers look for stalled jobs
   * (ms; default 30,000, BullMQ's): a worker killed mid-trial loses its job to another after
   * about twice this. Tests shorten it (env `SPROUT_QUEUE_LOCK_MS`).
   */
  lockMs?: number;
}

/**
 * A tune worker on a BullMQ queue in Redis (`sprout worker --queue URL`): takes trial jobs of
 * any tune on that Redis, trains each rung from the trial's last checkpoint there, stores a new
 * checkpoint after every epoch and the run's files after the rung. Killed (even with -9), its
 * job is found stalled by another worker and continues from the last epoch's checkpoint,
 * bit-identically. Stopped (SIGINT/SIGTERM via `shouldStop`), running trials save a checkpoint
 * and go back to the queue. A job from another Sprout version or on other data is refused: the
 * worker says why (also to the coordinator), puts the job back for another worker and stops.
 * Resolves with the exit code: 0 when stopped, 1 after a refusal.
 */
export async function runQueueWorker(options: QueueWorkerOptions): Promise<number> {
  const address = parseQueueUrl(options.queue);
  const say = options.onMessage ?? (() => {});
  await checkReachable(address);
  const { redis } = openRedis(address);
  // A directory of its own under scratchDir, which stays (it may be the user's).
  const scratch = workerScratch(options.scratchDir ?? tmpdir());
  const lockMs = options.lockMs ?? 30_000;
  const dataHashes = new Map<string, Promise<string>>();
  let stopping = false;
  // Asked at every batch as well as by the loop below (every 200 ms): epochs can be shorter.
  const stopAsked = () => {
    if (!stopping && options.shouldStop?.()) stopping = true;
    return stopping;
  };
  let refused: string | null = null;

  const refuse = async (job: Job<QueueTrialJob>, token: string | undefined, why: string): Promise<never> => {
    refused = why;
    stopping = true;
    say(`refused trial ${job.data.trial} of tune ${job.data.tuneId}: ${why}`);
    await redis.rpush(refusalsKey(job.data.tuneId), `worker ${hostname()} pid ${process.pid}: ${why}`);
    await job.moveToWait(token);
    throw new WaitingError();
  };

  const processor = async (
    job: Job<QueueTrialJob, QueueTrialResult>,
    token?: string,
  ): Promise<QueueTrialResult> => {
    const d = job.data;
    if (stopAsked()) {
      await job.moveToWait(token);
      throw new WaitingError();
    }
    if (d.sproutVersion !== SPROUT_VERSION)
      return refuse(
        job,
        token,
        `this worker runs Sprout ${SPROUT_VERSION}, the tune ${d.sproutVersion}: install the coordinator's version`,
      );
    const config: TrainConfigInput = {
      ...d.config,
      ...(options.dataDir !== undefined && d.config.dataDir !== undefined
        ? { dataDir: options.dataDir }
        : {}),
    };
    const sha = await dataHashOf(config, dataHashes).catch((error: Error) => `unreadable: ${error.message}`);
    if (sha !== d.dataSha256)
      return refuse(
        job,
        token,
        sha.startsWith('unreadable')
          ? `cannot read the tune's data here (${sha.slice(12)}): give this worker the same files (--data-dir)`
          : `the data here (${config.dataDir ?? config.csv ?? 'bundled MNIST'}, SHA-256 ${sha.slice(0, 12)}…) is not the tune's (${d.dataSha256.slice(0, 12)}…): give this worker the same files (--data-dir)`,
      );
    const dir = join(scratch, d.tuneId, `trial-${String(d.trial).padStart(3, '0')}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    try {
      const saved = await loadCheckpoint(redis, d.tuneId, d.trial);
      if (saved) writeFileSync(checkpointPath(dir), saved);
      const from = saved
        ? `from its checkpoint at epoch ${readCheckpoint(checkpointPath(dir)).state.epoch}`
        : 'from the start';
      say(`trial ${d.trial} of tune ${d.tuneId}: rung ${d.rung}, to ${d.epochs} epochs, ${from}`);
      // Uploads in order, each of the bytes as they were when saved (the next epoch overwrites the file).
      let uploads: Promise<unknown> = Promise.resolve();
      const upload = (progress: { epoch: number; batchInEpoch: number }) => {
        const bytes = readFileSync(checkpointPath(dir));
        uploads = uploads.then(() => saveCheckpoint(redis, d.tuneId, d.trial, progress, bytes));
      };
      let result: Awaited<ReturnType<typeof train>>;
      try {
        result = await train(
          { ...config, outDir: dir },
          {
            resume: saved !== null,
            overwrite: saved === null,
            hooks: {
              onEpoch: (record) => {
                if (record.epoch > 0) upload({ epoch: record.epoch, batchInEpoch: 0 });
                void job.updateProgress(curvePoint(record)).catch(() => {});
                if (record.epoch > 0)
                  say(
                    `trial ${d.trial} epoch ${record.epoch}: dev ${record.devAccuracy === null ? '—' : `${(record.devAccuracy * 100).toFixed(2)}%`}`,
                  );
              },
              shouldStop: stopAsked,
            },
          },
        );
      } catch (error) {
        await uploads;
        // The trial's own failure (diverged, options this data does not take): its result. What
        // the run kept (the last good checkpoint) goes to the coordinator's trial directory.
        const message = (error as Error).message;
        say(`trial ${d.trial} failed: ${message}`);
        await saveRunFiles(redis, d.tuneId, d.trial, runFiles(dir));
        return {
          type: 'failed',
          message: message.split(dir).join(TRIAL_DIR_MARK),
          diverged: error instanceof TrainingDivergedError,
        };
      }
      if (result.interrupted) {
        const state = readCheckpoint(checkpointPath(dir)).state;
        upload({ epoch: state.epoch, batchInEpoch: state.batchInEpoch });
        await uploads;
        say(`trial ${d.trial}: saved a checkpoint in epoch ${state.epoch + 1} and put it back in the queue`);
        await job.moveToWait(token);
        throw new WaitingError();
      }
      await uploads;
      await saveRunFiles(redis, d.tuneId, d.trial, runFiles(dir));
      say(
        `trial ${d.trial} rung ${d.rung} done: best dev ${((result.bestDevAccuracy ?? 0) * 100).toFixed(2)}%`,
      );
      return { type: 'done', bestDevAccuracy: result.bestDevAccuracy ?? 0, epochs: result.epochs };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  const worker = new Worker<QueueTrialJob, QueueTrialResult>(QUEUE_NAME, processor, {
    connection: redisOptions(address) as ConnectionOptions,
    prefix: QUEUE_PREFIX,
    concurrency: options.concurrency ?? 1,
    lockDuration: lockMs,
    stalledInterval: lockMs,
    // A trial may be stalled by several killed workers in turn: each time it goes on from its
    // checkpoint, so a stall is never a failure.
    maxStalledCount: 1000,
  });
  worker.on('error', (error) => say(`queue: ${scrub(error.message, address)}`));
  say(
    `waiting for trials on ${address.display} (Sprout ${SPROUT_VERSION}, ${options.concurrency ?? 1} at a time)`,
  );
  while (!stopAsked()) {
    await new Promise((r) => setTimeout(r, 200));
  }
  // Running trials see `stopping`, save and go back to the queue; close waits for them.
  await worker.close();
  await redis.quit().catch(() => {});
  rmSync(scratch, { recursive: true, force: true });
  if (refused) return 1;
  say('stopped');
  return 0;
}

/** The data's SHA-256 as this machine sees it, loaded once per data set. */
function dataHashOf(config: TrainConfigInput, cache: Map<string, Promise<string>>): Promise<string> {
  const key = JSON.stringify([
    config.dataDir,
    config.csv,
    config.testCsv,
    config.label,
    config.task,
    config.classes,
  ]);
  let hash = cache.get(key);
  if (!hash) {
    hash = identifyData(config).then((identity) => identity.sha256);
    cache.set(key, hash);
  }
  return hash;
}

/** The run directory's files (model, checkpoint, history, metrics…), not its lock or temp files. */
function runFiles(dir: string): Record<string, Buffer> {
  const files: Record<string, Buffer> = {};
  for (const name of readdirSync(dir)) {
    if (name === LOCK_FILE || name.includes('.tmp')) continue;
    const path = join(dir, name);
    if (statSync(path).isFile()) files[name] = readFileSync(path);
  }
  return files;
}
