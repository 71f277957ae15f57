import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkpointPath, readCheckpoint } from './checkpoint.js';
import type { TrainConfigInput } from './config.js';
import { CheckpointError } from './errors.js';
import { train } from './trainer.js';

// The smallest real-MNIST slices that still show each behaviour: 700 training images (5 batches
// of 128 an epoch), tiny widths. They check what the loop does, not how fast it learns.
const slice: TrainConfigInput = {
  trainLimit: 800,
  devSize: 100,
  testLimit: 300,
  initialHiddenSize: 16,
  finalHiddenSize: 32,
  growthEpochs: 2,
  warmupEpochs: 1,
  backend: 'cpu',
  report: false,
  seed: 7,
  learningRate: 0.01,
};
const dir = () => mkdtempSync(join(tmpdir(), 'sprout-run-'));
const weights = (outDir: string) => {
  const { blobs } = readCheckpoint(checkpointPath(outDir));
  return new Float32Array(
    blobs.model.slice(
      Math.ceil((8 + new DataView(blobs.model.buffer, blobs.model.byteOffset).getUint32(4, true)) / 4) * 4,
    ).buffer,
  );
};

describe('train', () => {
  it('learns from chance to well above it, growing on schedule, and writes the run files', async () => {
    const outDir = dir();
    const widths: number[] = [];
    const result = await train(
      { ...slice, epochs: 3, outDir },
      { hooks: { onEpoch: (r) => widths.push(r.hiddenSize) } },
    );
    const history = JSON.parse(readFileSync(join(outDir, 'history.json'), 'utf8'));
    expect(history[0].testAccuracy).toBeLessThan(0.25); // chance is 0.1
    expect(result.testAccuracy).toBeGreaterThan(0.6);
    expect(widths).toEqual([16, 16, 32, 32]);
    for (const f of ['model.sprout', 'metrics.json', 'memory.csv', 'checkpoint.sprout'])
      expect(existsSync(join(outDir, f))).toBe(true);
    const metrics = JSON.parse(readFileSync(join(outDir, 'metrics.json'), 'utf8'));
    expect(metrics.classification.confusion).toHaveLength(10);
  });

  it('accumulating 2 micro-batches of 64 gives the same weights as batches of 128', async () => {
    const a = dir();
    const b = dir();
    // 612 − 100 dev = 512 = 4 × 128: no partial accumulation group at the end.
    const common = {
      ...slice,
      trainLimit: 612,
      epochs: 1,
      augment: false,
      growthEpochs: 0,
      initialHiddenSize: 32,
    };
    await train({ ...common, batchSize: 128, accumulate: 1, outDir: a });
    await train({ ...common, batchSize: 64, accumulate: 2, outDir: b });
    const wa = weights(a);
    const wb = weights(b);
    let maxDiff = 0;
    for (let i = 0; i < wa.length; i++) maxDiff = Math.max(maxDiff, Math.abs(wa[i] - wb[i]));
    expect(maxDiff).toBeLessThan(1e-5);
  });

  it('an interrupted (mid-epoch) and resumed run ends with the same weights as an uninterrupted one', async () => {
    const straight = dir();
    await train({ ...slice, epochs: 3, outDir: straight });
    const resumed = dir();
    let batches = 0;
    // shouldStop is asked after every batch: stop in the middle of epoch 2 (6 batches per epoch).
    const first = await train(
      { ...slice, epochs: 3, outDir: resumed },
      { hooks: { shouldStop: () => ++batches >= 9 } },
    );
    expect(first.interrupted).toBe(true);
    expect(readCheckpoint(checkpointPath(resumed)).state.batchInEpoch).toBeGreaterThan(0);
    const second = await train({ outDir: resumed }, { resume: true });
    expect(second.interrupted).toBe(false);
    expect(weights(resumed)).toEqual(weights(straight));
  });

  it('continues a finished run for more epochs', async () => {
    const outDir = dir();
    await train({ ...slice, epochs: 1, outDir });
    const more = await train({ outDir, epochs: 2 }, { resume: true });
    expect(more.epochs).toBe(2);
  });

  it('refuses a corrupt checkpoint with a clear error and leaves it untouched', async () => {
    const outDir = dir();
    await train({ ...slice, epochs: 1, outDir });
    const file = checkpointPath(outDir);
    const bytes = readFileSync(file);
    bytes[bytes.length - 100] ^= 0xff;
    writeFileSync(file, bytes);
    await expect(train({ outDir }, { resume: true })).rejects.toThrow(CheckpointError);
    await expect(train({ outDir }, { resume: true })).rejects.toThrow(/checksum mismatch/);
    expect(readFileSync(file).equals(bytes)).toBe(true);
  });

  it('refuses to continue with an option that changes what the checkpoint means', async () => {
    const outDir = dir();
    await train({ ...slice, epochs: 1, outDir });
    await expect(train({ outDir, seed: 8 }, { resume: true })).rejects.toThrow(
      /seed was 7 in the checkpoint, now 8/,
    );
    await expect(train({ outDir: dir() }, { resume: true })).rejects.toThrow(/no checkpoint/);
  });
});
