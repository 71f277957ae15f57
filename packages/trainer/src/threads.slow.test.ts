import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { enableRelaxedSimd } from '@sprout/tensor';
import { expect, it } from 'vitest';
import { checkpointPath, readCheckpoint } from './checkpoint.js';
import { train } from './trainer.js';

// The FMA build, as the CLI runs it (Node 20 needs the V8 flag).
enableRelaxedSimd();

/**
 * Every epoch's losses and accuracies (the train loss sums every batch's loss, so one differing
 * batch shows), and every byte of the final checkpoint: weights, Adam moments, RNG state.
 */
async function run(threads: number) {
  const outDir = mkdtempSync(join(tmpdir(), `sprout-threads-${threads}-`));
  const epochs: Record<string, unknown>[] = [];
  let backendLine = '';
  await train(
    {
      trainLimit: 6000,
      devSize: 1000,
      testLimit: 1000,
      epochs: 3,
      // The default growth (half width, then full) and augmentation: every path of a default run.
      hidden: [256],
      growthEpochs: 2,
      backend: 'cpu',
      threads,
      report: false,
      outDir,
    },
    {
      hooks: {
        onStart: (info) => {
          backendLine = info.backendReport;
        },
        // What was learned, not how fast: the timing fields go.
        onEpoch: ({ seconds: _s, elapsed: _e, samplesPerSecond: _r, rssMB: _m, ...learned }) =>
          epochs.push(learned),
      },
    },
  );
  const { blobs } = readCheckpoint(checkpointPath(outDir));
  return { epochs, blobs, backendLine };
}

it('trains bit-identically on 1, 2, 3 and 4 kernel threads: every loss, every weight and Adam moment', async () => {
  const [one, ...others] = [await run(1), await run(2), await run(3), await run(4)];
  expect(one.backendLine).toMatch(/1 thread\b/);
  expect(others.map((o) => o.backendLine.match(/(\d+) threads/)?.[1])).toEqual(['2', '3', '4']);
  expect(one.epochs).toHaveLength(4);
  for (const other of others) {
    expect(other.epochs).toEqual(one.epochs);
    expect(Object.keys(other.blobs)).toEqual(Object.keys(one.blobs));
    for (const key of Object.keys(one.blobs))
      expect(Buffer.compare(Buffer.from(other.blobs[key]), Buffer.from(one.blobs[key])), key).toBe(0);
  }
});
