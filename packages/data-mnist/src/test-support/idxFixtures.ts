import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** Bytes of an IDX file of unsigned bytes with the given magic and dims. */
export function idxBytes(magic: number, dims: number[], data: Uint8Array): Uint8Array {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => {
    header.writeUInt32BE(d, 4 + 4 * i);
  });
  return Buffer.concat([header, data]);
}

/** A fresh temp directory. */
export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'sprout-idx-'));
}

/** Writes a tiny dataset (count images of rows×cols, labels i % classes) into dir, optionally gzipped. */
export function writeTinyDataset(dir: string, count: number, classes: number, gz = false): void {
  const rows = 4;
  const cols = 5;
  const make = (n: number, offset: number) => {
    const images = Uint8Array.from({ length: n * rows * cols }, (_, i) => (i * 37 + offset) % 256);
    const labels = Uint8Array.from({ length: n }, (_, i) => (i + offset) % classes);
    return [idxBytes(2051, [n, rows, cols], images), idxBytes(2049, [n], labels)];
  };
  const write = (name: string, bytes: Uint8Array) =>
    writeFileSync(join(dir, gz ? `${name}.gz` : name), gz ? gzipSync(bytes) : bytes);
  const [ti, tl] = make(count, 0);
  const [vi, vl] = make(Math.max(1, Math.floor(count / 2)), 1);
  write('train-images-idx3-ubyte', ti);
  write('train-labels-idx1-ubyte', tl);
  write('t10k-images-idx3-ubyte', vi);
  write('t10k-labels-idx1-ubyte', vl);
}
