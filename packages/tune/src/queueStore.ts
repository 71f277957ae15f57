import type { Redis } from 'ioredis';

/**
 * Where a distributed tune keeps things in Redis. One BullMQ queue serves every tune, so a pool
 * of workers serves whichever tunes are running; everything a tune owns carries its id: its job
 * ids (`<tune>-<trial>-<rung>`) and its keys (`sprout:tune:<tune>:…`), so two tunes on one Redis
 * never touch each other's jobs, checkpoints or results.
 */
export const QUEUE_NAME = 'trials';
/** BullMQ's key prefix: its keys are `sprout:trials:…`. */
export const QUEUE_PREFIX = 'sprout';

export function jobIdOf(tuneId: string, trial: number, rung: number): string {
  return `${tuneId}-${trial}-${rung}`;
}

function keyOf(tuneId: string, trial: number, what: 'checkpoint' | 'files'): string {
  return `sprout:tune:${tuneId}:trial:${trial}:${what}`;
}

// Writes a checkpoint only over an older one: a worker that lost its job's lock (and does not
// know yet) must not set a trial back. Two workers at the same point hold the same bytes
// (training is deterministic), so either may win a tie.
const SAVE_IF_NEWER = `
local current = tonumber(redis.call('HGET', KEYS[1], 'progress') or '-1')
if tonumber(ARGV[1]) > current then
  redis.call('HSET', KEYS[1], 'progress', ARGV[1], 'bytes', ARGV[2])
  return 1
end
return 0`;

/**
 * Stores a trial's checkpoint (its bytes, as `train()` wrote them) unless Redis holds a later
 * one. `progress` orders them: epochs done and batches into the next.
 */
export async function saveCheckpoint(
  redis: Redis,
  tuneId: string,
  trial: number,
  progress: { epoch: number; batchInEpoch: number },
  bytes: Buffer,
): Promise<void> {
  const order = progress.epoch * 1_000_000 + progress.batchInEpoch;
  await redis.eval(SAVE_IF_NEWER, 1, keyOf(tuneId, trial, 'checkpoint'), String(order), bytes);
}

/** The trial's latest checkpoint, or null if it has none yet. */
export async function loadCheckpoint(redis: Redis, tuneId: string, trial: number): Promise<Buffer | null> {
  return redis.hgetBuffer(keyOf(tuneId, trial, 'checkpoint'), 'bytes');
}

/** The run directory's files after a rung (model, history, metrics, config…), replacing any earlier. */
export async function saveRunFiles(
  redis: Redis,
  tuneId: string,
  trial: number,
  files: Record<string, Buffer>,
): Promise<void> {
  const key = keyOf(tuneId, trial, 'files');
  const write = redis.multi().del(key);
  // A trial that failed before writing anything has no files (and HSET wants at least one).
  if (Object.keys(files).length > 0) write.hset(key, files);
  await write.exec();
}

export async function loadRunFiles(
  redis: Redis,
  tuneId: string,
  trial: number,
): Promise<Record<string, Buffer>> {
  const raw = await redis.hgetallBuffer(keyOf(tuneId, trial, 'files'));
  return Object.fromEntries(Object.entries(raw).map(([name, bytes]) => [name.toString(), bytes]));
}

/** Deletes every key of the tune (its checkpoints and files), once its result is on disk. */
export async function removeTuneKeys(redis: Redis, tuneId: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `sprout:tune:${tuneId}:*`, 'COUNT', 200);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}
