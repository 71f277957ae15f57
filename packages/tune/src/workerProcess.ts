// The entry `tune({ queue, workers })` starts for each local queue worker. The URL comes in the
// environment (SPROUT_QUEUE_URL), not argv, so its password never shows in `ps`. The worker
// stops (checkpoint, job back to the queue) on SIGTERM/SIGINT or when the tune goes away.
import { runQueueWorker } from './queueWorker.js';

let stop = false;
const onStop = () => {
  stop = true;
};
process.on('SIGTERM', onStop);
process.on('SIGINT', onStop);
process.on('disconnect', onStop);
const lockMs = Number(process.env.SPROUT_QUEUE_LOCK_MS) || undefined;
runQueueWorker({
  queue: process.env.SPROUT_QUEUE_URL ?? '',
  lockMs,
  onMessage: (line) => process.stdout.write(`worker ${process.pid}: ${line}\n`),
  shouldStop: () => stop,
}).then(
  (code) => {
    process.exit(code);
  },
  (error: Error) => {
    process.stderr.write(`sprout worker: ${error.message}\n`);
    process.exit(1);
  },
);
