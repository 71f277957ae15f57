import {
  type EpochRecord,
  type TrainConfigInput,
  TrainingDivergedError,
  type TrainResult,
  train,
} from '@sprout/trainer';

/** What the tuner sends a worker process: one trial's options, and whether to continue it. */
export interface TrialJob {
  config: TrainConfigInput;
  resume: boolean;
}

/** What a worker process reports back. */
export type TrialMessage =
  | { type: 'epoch'; record: EpochRecord }
  | { type: 'done'; result: TrainResult }
  | { type: 'failed'; message: string; diverged: boolean };

/**
 * The body of a tuning worker process (started by {@link tune} with an IPC channel): takes one
 * {@link TrialJob}, trains, reports every epoch and the result. SIGTERM, SIGINT or the tuner
 * going away (even killed) make it stop after the current optimizer step with a checkpoint, so the trial
 * continues exactly where it was when the tune is run again. Returns the exit code.
 */
export async function runTrialWorker(): Promise<number> {
  if (!process.send) throw new Error('runTrialWorker needs an IPC channel (a process started by tune)');
  let stop = false;
  const onStop = () => {
    stop = true;
  };
  process.on('SIGTERM', onStop);
  process.on('SIGINT', onStop);
  process.on('disconnect', onStop);
  const send = (message: TrialMessage) =>
    new Promise<void>((resolve) => {
      if (!process.connected || !process.send) return resolve();
      process.send(message, undefined, {}, () => resolve());
    });
  const job = await new Promise<TrialJob>((resolve) =>
    process.once('message', (m) => resolve(m as TrialJob)),
  );
  try {
    const result = await train(job.config, {
      resume: job.resume,
      overwrite: !job.resume,
      hooks: {
        onEpoch: (record) => void send({ type: 'epoch', record }),
        shouldStop: () => stop,
      },
    });
    await send({ type: 'done', result });
    return 0;
  } catch (error) {
    await send({
      type: 'failed',
      message: (error as Error).message,
      diverged: error instanceof TrainingDivergedError,
    });
    return 1;
  } finally {
    process.disconnect?.();
  }
}
