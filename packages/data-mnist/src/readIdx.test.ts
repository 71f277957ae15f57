import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { loadIdxDirectory } from './dataset.js';
import { DatasetError, IdxFormatError } from './errors.js';
import { readIdx } from './readIdx.js';
import { idxBytes, tempDir, writeTinyDataset } from './test-support/idxFixtures.js';

const dir = tempDir();
const file = (name: string, bytes: Uint8Array) => {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
};
const images = Uint8Array.from({ length: 3 * 2 * 2 }, (_, i) => i * 20);

describe('readIdx', () => {
  it('reads a plain IDX file', async () => {
    const r = await readIdx(file('ok', idxBytes(2051, [3, 2, 2], images)), 2051);
    expect(r.dims).toEqual([3, 2, 2]);
    expect(Array.from(r.data)).toEqual(Array.from(images));
  });

  it('reads the same file gzipped', async () => {
    const r = await readIdx(file('ok.gz', gzipSync(idxBytes(2051, [3, 2, 2], images))), 2051);
    expect(Array.from(r.data)).toEqual(Array.from(images));
  });

  it('rejects an empty file', async () => {
    await expect(readIdx(file('empty', new Uint8Array(0)))).rejects.toThrow(/empty.*at byte 0.*empty file/);
  });

  it('rejects a wrong magic number, naming file and offset', async () => {
    const p = file('magic', idxBytes(2049, [3, 2, 2], images));
    await expect(readIdx(p, 2051)).rejects.toThrow(IdxFormatError);
    await expect(readIdx(p, 2051)).rejects.toThrow(`${p}: at byte 0: expected magic number 2051, found 2049`);
  });

  it('rejects a truncated file with the offset where data ends', async () => {
    const bytes = idxBytes(2051, [3, 2, 2], images).subarray(0, 20);
    await expect(readIdx(file('trunc', bytes), 2051)).rejects.toThrow(
      /at byte 20: expected 28 bytes.*truncated/,
    );
  });

  it('rejects trailing data', async () => {
    const bytes = Buffer.concat([idxBytes(2051, [3, 2, 2], images), Buffer.from([1, 2])]);
    await expect(readIdx(file('trailing', bytes), 2051)).rejects.toThrow(/trailing data/);
  });

  it('rejects a truncated gzip stream and a corrupt one', async () => {
    const gz = gzipSync(idxBytes(2051, [3, 2, 2], images));
    await expect(readIdx(file('cut.gz', gz.subarray(0, gz.length - 12)), 2051)).rejects.toThrow(
      IdxFormatError,
    );
    const bad = Buffer.from(gz);
    bad.fill(0x55, 12, 24);
    await expect(readIdx(file('bad.gz', bad), 2051)).rejects.toThrow(/gzip|truncated|at byte/);
  });

  it('rejects a header that is cut short', async () => {
    await expect(
      readIdx(file('short', idxBytes(2051, [3, 2, 2], images).subarray(0, 9)), 2051),
    ).rejects.toThrow(IdxFormatError);
  });
});

describe('loadIdxDirectory', () => {
  it('loads plain and gzipped directories and counts classes from the labels', async () => {
    for (const gz of [false, true]) {
      const d = tempDir();
      writeTinyDataset(d, 12, 3, gz);
      const data = await loadIdxDirectory(d);
      expect(data.train.count).toBe(12);
      expect(data.test.count).toBe(6);
      expect(data.classes).toBe(3);
      expect([data.train.rows, data.train.cols]).toEqual([4, 5]);
    }
  });

  it('rejects mismatched image and label counts', async () => {
    const d = tempDir();
    writeTinyDataset(d, 12, 3);
    writeFileSync(join(d, 'train-labels-idx1-ubyte'), idxBytes(2049, [11], new Uint8Array(11)));
    await expect(loadIdxDirectory(d)).rejects.toThrow(/holds 12 images but .* holds 11 labels/);
  });

  it('reads class names from classes.txt, one per class, and refuses a list that does not fit', async () => {
    const d = tempDir();
    writeTinyDataset(d, 12, 3);
    expect((await loadIdxDirectory(d)).classNames).toBeUndefined();
    writeFileSync(join(d, 'classes.txt'), 'circle\r\nsquare\ntriangle\n\n');
    expect((await loadIdxDirectory(d)).classNames).toEqual(['circle', 'square', 'triangle']);
    writeFileSync(join(d, 'classes.txt'), 'circle\nsquare\n');
    await expect(loadIdxDirectory(d)).rejects.toThrow(
      /classes\.txt: expected 3 class names, one per line, found 2/,
    );
  });

  it("rejects a test label outside the training labels' range, naming file and offset", async () => {
    const d = tempDir();
    writeTinyDataset(d, 12, 3);
    writeFileSync(
      join(d, 't10k-labels-idx1-ubyte'),
      idxBytes(2049, [6], Uint8Array.from([0, 1, 2, 7, 0, 1])),
    );
    await expect(loadIdxDirectory(d)).rejects.toThrow(
      /t10k-labels-idx1-ubyte: at byte 11: expected a label in 0\.\.2.*found 7/,
    );
  });

  it('reports a stray training label (a 200 among 0..2) with file, index and value', async () => {
    const d = tempDir();
    writeTinyDataset(d, 12, 3);
    const labels = Uint8Array.from({ length: 12 }, (_, i) => i % 3);
    labels[5] = 200;
    writeFileSync(join(d, 'train-labels-idx1-ubyte'), idxBytes(2049, [12], labels));
    await expect(loadIdxDirectory(d)).rejects.toThrow(
      /train-labels-idx1-ubyte: at byte 13: expected labels forming classes 0\.\.2 .*--classes 201.*found 200 \(label index 5\)/,
    );
    // Declared, the unused classes are allowed; a label past the declared count is not.
    expect((await loadIdxDirectory(d, { classes: 201 })).classes).toBe(201);
    await expect(loadIdxDirectory(d, { classes: 10 })).rejects.toThrow(
      /at byte 13: expected a label in 0\.\.9 \(10 classes declared\), found 200/,
    );
  });

  it('names what is missing in an incomplete directory', async () => {
    await expect(loadIdxDirectory(tempDir())).rejects.toThrow(DatasetError);
  });
});
