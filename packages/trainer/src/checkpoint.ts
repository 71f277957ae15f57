import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { TrainConfig } from './config.js';
import { CheckpointError } from './errors.js';
import type { EpochRecord } from './history.js';

const MAGIC = 'SPRC';
/** Current checkpoint format version. */
export const CHECKPOINT_VERSION = 1;

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
}

/** Binary payloads stored after the JSON header. */
export type CheckpointBlobs = Record<string, Uint8Array>;

/** The checkpoint file of a run directory. */
export function checkpointPath(outDir: string): string {
  return join(outDir, 'checkpoint.sprout');
}

/**
 * Writes a checkpoint atomically: a temp file next to it, fsync, rename, fsync of the directory.
 * A crash at any point leaves either the old or the new checkpoint, never a torn one.
 */
export function writeCheckpoint(file: string, state: CheckpointState, blobs: CheckpointBlobs): void {
  const names = Object.keys(blobs);
  let offset = 0;
  const index = names.map((name) => {
    const entry = { name, offset, length: blobs[name].length };
    offset += blobs[name].length;
    return entry;
  });
  const hash = createHash('sha256');
  for (const n of names) hash.update(blobs[n]);
  const header = Buffer.from(
    JSON.stringify({
      format: 'sprout-checkpoint',
      version: CHECKPOINT_VERSION,
      state,
      blobs: index,
      sha256: hash.digest('hex'),
    }),
  );
  const prefix = Buffer.alloc(8);
  prefix.write(MAGIC, 0, 'ascii');
  prefix.writeUInt32LE(header.length, 4);
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, prefix);
    writeSync(fd, header);
    for (const n of names) writeSync(fd, blobs[n]);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  try {
    const dirFd = openSync(dirname(file), 'r');
    fsyncSync(dirFd);
    closeSync(dirFd);
  } catch {
    // Some platforms cannot fsync a directory; the rename is still atomic.
  }
}

/** Reads and verifies a checkpoint (magic, version, length, SHA-256 of the payload). */
export function readCheckpoint(file: string): { state: CheckpointState; blobs: CheckpointBlobs } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    throw new CheckpointError(`no checkpoint at ${file}: run training without --continue-training first`);
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
  if (header.format !== 'sprout-checkpoint' || header.version !== CHECKPOINT_VERSION) {
    throw new CheckpointError(`${file}: unsupported checkpoint format ${header.format} v${header.version}`);
  }
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
  return { state: header.state as CheckpointState, blobs };
}

/** Float32 data as bytes (a view, no copy). */
export function floatBytes(values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/** Bytes back to Float32 values (copied, so alignment does not matter). */
export function bytesToFloats(bytes: Uint8Array): Float32Array {
  return new Float32Array(new Uint8Array(bytes).buffer);
}
