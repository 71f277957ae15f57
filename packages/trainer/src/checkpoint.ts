import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TrainConfig } from './config.js';
import type { DatasetIdentity } from './datasetIdentity.js';
import { CheckpointError } from './errors.js';
import type { EpochRecord } from './history.js';
import { fsErrorMessage, writeFileAtomic } from './runFiles.js';

const MAGIC = 'SPRC';
/** Current checkpoint format version (2: the state is a checksummed blob; 1 still loads). */
export const CHECKPOINT_VERSION = 2;
const STATE_BLOB = 'state.json';

/** Everything needed to resume a run exactly. */
export interface CheckpointState {
  config: TrainConfig;
  /** Completed epochs. */
  epoch: number;
  /** Batches already trained in epoch `epoch + 1` (interrupted mid-epoch), else 0. */
  batchInEpoch: number;
  /** Running sums of the interrupted epoch. */
  partial: { loss: number; correct: number; seen: number; seconds: number } | null;
  history: EpochRecord[];
  rngState: number[];
  earlyStopping: { best: number | null; bestEpoch: number; wait: number };
  optimizerSteps: number;
  elapsedSeconds: number;
  batchSize: number;
  /** The data the run trains on (absent in checkpoints written before it was recorded). */
  dataset?: DatasetIdentity;
}

/** Binary payloads stored after the JSON header. */
export type CheckpointBlobs = Record<string, Uint8Array>;

/** The checkpoint file of a run directory. */
export function checkpointPath(outDir: string): string {
  return join(outDir, 'checkpoint.sprout');
}

/**
 * Writes a checkpoint atomically: a temp file next to it, fsync, rename, fsync of the directory.
 * A crash at any point leaves either the old or the new checkpoint, never a torn one. The SHA-256
 * covers the state (epoch, history, config…) as well as the weights: any edited byte is found.
 */
export function writeCheckpoint(file: string, state: CheckpointState, blobs: CheckpointBlobs): void {
  const all: CheckpointBlobs = { [STATE_BLOB]: new TextEncoder().encode(JSON.stringify(state)), ...blobs };
  const names = Object.keys(all);
  let offset = 0;
  const index = names.map((name) => {
    const entry = { name, offset, length: all[name].length };
    offset += all[name].length;
    return entry;
  });
  const hash = createHash('sha256');
  for (const n of names) hash.update(all[n]);
  const header = Buffer.from(
    JSON.stringify({
      format: 'sprout-checkpoint',
      version: CHECKPOINT_VERSION,
      blobs: index,
      sha256: hash.digest('hex'),
    }),
  );
  const prefix = Buffer.alloc(8);
  prefix.write(MAGIC, 0, 'ascii');
  prefix.writeUInt32LE(header.length, 4);
  writeFileAtomic(file, [prefix, header, ...names.map((n) => all[n])]);
}

/**
 * Reads and verifies a checkpoint (magic, version, length, SHA-256 of state and payload).
 * A missing file and an unreadable one are different errors: only the first means "none yet".
 */
export function readCheckpoint(file: string): { state: CheckpointState; blobs: CheckpointBlobs } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new CheckpointError(`no checkpoint at ${file}: run training without --continue-training first`);
    throw new CheckpointError(`${fsErrorMessage('read the checkpoint', file, error)}; it was left as it is`);
  }
  if (bytes.length < 8 || bytes.toString('ascii', 0, 4) !== MAGIC) {
    throw new CheckpointError(`${file} is not a Sprout checkpoint (bad magic)`);
  }
  const headerLength = bytes.readUInt32LE(4);
  // biome-ignore lint/suspicious/noExplicitAny: validated field by field below
  let header: any;
  try {
    header = JSON.parse(bytes.toString('utf8', 8, 8 + headerLength));
  } catch {
    throw new CheckpointError(`${file} is corrupt: its header is not valid JSON`);
  }
  if (header?.format !== 'sprout-checkpoint' || (header.version !== 1 && header.version !== 2)) {
    throw new CheckpointError(`${file}: unsupported checkpoint format ${header?.format} v${header?.version}`);
  }
  if (!Array.isArray(header.blobs)) throw new CheckpointError(`${file} is corrupt: no blob index`);
  const start = 8 + headerLength;
  const total = header.blobs.reduce((s: number, b: { length: number }) => s + b.length, 0);
  if (bytes.length !== start + total) {
    throw new CheckpointError(
      `${file} is truncated or corrupt: expected ${start + total} bytes, found ${bytes.length}`,
    );
  }
  const blobs: CheckpointBlobs = {};
  const hash = createHash('sha256');
  for (const b of header.blobs as { name: string; offset: number; length: number }[]) {
    blobs[b.name] = new Uint8Array(bytes.buffer, bytes.byteOffset + start + b.offset, b.length);
    hash.update(blobs[b.name]);
  }
  if (hash.digest('hex') !== header.sha256)
    throw new CheckpointError(`${file} is corrupt: checksum mismatch`);
  let state: CheckpointState = header.state;
  if (header.version >= 2) {
    const stateBytes = blobs[STATE_BLOB];
    if (!stateBytes) throw new CheckpointError(`${file} is corrupt: no state`);
    state = JSON.parse(new TextDecoder().decode(stateBytes));
    delete blobs[STATE_BLOB];
  }
  return { state, blobs };
}
