import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel } from '@sprout/layers';
import { MemoryWatch } from '@sprout/memwatch';
import { createCpuBackend } from '@sprout/tensor';
import { describe, expect, it } from 'vitest';
import { checkpointPath, readCheckpoint, writeCheckpoint } from './checkpoint.js';
import type { TrainConfigInput } from './config.js';
import { CheckpointError, RunDirectoryError, TrainingDivergedError } from './errors.js';
import { train } from './trainer.js';

// The smallest real-MNIST slices that still show each behaviour: 700 training images (5 batches
// of 128 an epoch), tiny widths. They check what the loop does, not how fast it learns.
const slice: TrainConfigInput = {
  trainLimit: 800,
  devSize: 100,
  testLimit: 300,
  initialHidden: [16],
  hidden: [32],
  growthEpochs: 2,
  warmupEpochs: 1,
  backend: 'cpu',
  report: false,
  seed: 7,
  learningRate: 0.01,
};
const dir = () => mkdtempSync(join(tmpdir(), 'sprout-run-'));
// The checkpoint's current weights, all parameters in order.
const weights = (outDir: string) => {
  const { blobs } = readCheckpoint(checkpointPath(outDir));
  const backend = createCpuBackend({ threads: false });
  const model = loadModel(backend, blobs.model);
  const values = Float32Array.from(model.parameters().flatMap((p) => Array.from(p.value.toArray())));
  model.dispose();
  backend.dispose();
  return values;
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

  it('continues a checkpoint written when widths were also numbers (finalHiddenSize, initialHiddenSize)', async () => {
    const outDir = dir();
    await train({ ...slice, epochs: 1, outDir });
    const file = checkpointPath(outDir);
    const { state, blobs } = readCheckpoint(file);
    const old = { ...state, config: { ...state.config, finalHiddenSize: 32, initialHiddenSize: 16 } };
    writeCheckpoint(file, old, blobs);
    const result = await train({ outDir, epochs: 2 }, { resume: true });
    expect(result.epochs).toBe(2);
    expect(readCheckpoint(file).state.config).toMatchObject({ hidden: [32], initialHidden: [16] });
    expect(readCheckpoint(file).state.config).not.toHaveProperty('finalHiddenSize');
    // Older still: only the numbers (before several hidden layers), here not the defaults.
    const { hidden, initialHidden, ...scalarOnly } = readCheckpoint(file).state.config;
    void [hidden, initialHidden];
    const { state: s2, blobs: b2 } = readCheckpoint(file);
    writeCheckpoint(
      file,
      { ...s2, config: { ...scalarOnly, finalHiddenSize: 32, initialHiddenSize: 16 } as never },
      b2,
    );
    const again = await train({ outDir, epochs: 3 }, { resume: true });
    expect(again.hiddenSizes).toEqual([32]);
    expect(readCheckpoint(file).state.config).toMatchObject({ hidden: [32], initialHidden: [16] });
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
      initialHidden: [32],
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

  // Every regulariser and schedule option at once.
  const regularised: TrainConfigInput = {
    ...slice,
    dropout: 0.2,
    labelSmoothing: 0.1,
    weightDecay: 0.05,
    lrSchedule: 'cosine',
    // From the first batch, so that cosine differs from step in a 1-epoch run too.
    warmupEpochs: 0,
    elastic: 1.5,
    augment: true,
  };

  it('with dropout, label smoothing, AdamW, a cosine schedule and elastic distortions: learns, and resumes exactly', async () => {
    const straight = dir();
    const rates: number[] = [];
    const result = await train(
      { ...regularised, epochs: 3, outDir: straight },
      { hooks: { onBatch: (b) => rates.push(b.learningRate) } },
    );
    expect(result.testAccuracy).toBeGreaterThan(0.5);
    // Cosine: the rate falls within epochs, not only between them.
    expect(new Set(rates).size).toBeGreaterThan(3);
    for (let i = 1; i < rates.length; i++) expect(rates[i]).toBeLessThanOrEqual(rates[i - 1]);
    const resumed = dir();
    let batches = 0;
    await train(
      { ...regularised, epochs: 3, outDir: resumed },
      { hooks: { shouldStop: () => ++batches >= 8 } },
    );
    await train({ outDir: resumed }, { resume: true });
    expect(weights(resumed)).toEqual(weights(straight));
  });

  it('dropout, label smoothing, weight decay, elastic distortions and the cosine schedule each change the weights', async () => {
    const small = { ...regularised, trainLimit: 400, epochs: 1 };
    const same = dir();
    await train({ ...small, outDir: same });
    for (const off of [
      { dropout: 0 },
      { labelSmoothing: 0 },
      { weightDecay: 0 },
      { elastic: 0 },
      { lrSchedule: 'step' as const },
    ]) {
      const other = dir();
      await train({ ...small, outDir: other, ...off });
      expect(weights(other), JSON.stringify(off)).not.toEqual(weights(same));
    }
  });

  it('evaluateTest: false holds no test image: no test accuracy in history, result, metrics', async () => {
    const outDir = dir();
    const result = await train({ ...slice, epochs: 1, outDir, evaluateTest: false, report: true });
    expect(result.testAccuracy).toBeNull();
    expect(result.secondsTo98).toBeNull();
    const history = JSON.parse(readFileSync(join(outDir, 'history.json'), 'utf8'));
    expect(history.map((h: { testAccuracy: number | null }) => h.testAccuracy)).toEqual([null, null]);
    const metrics = JSON.parse(readFileSync(join(outDir, 'metrics.json'), 'utf8'));
    expect(metrics.testAccuracy).toBeNull();
    expect(metrics.classification).toBeUndefined();
    // The report is about test results: none is written.
    expect(existsSync(join(outDir, 'report.html'))).toBe(false);
    expect(result.bestDevAccuracy).toBeGreaterThan(0.3);
  });

  it('two hidden layers grow on the schedule, learn, and resume exactly after an interruption', async () => {
    const deep = {
      ...slice,
      hidden: [64, 32],
      initialHidden: [32, 16],
      epochs: 3,
    };
    const straight = dir();
    const widths: number[][] = [];
    const result = await train(
      { ...deep, outDir: straight },
      { hooks: { onEpoch: (r) => widths.push(r.hiddenSizes ?? []) } },
    );
    expect(widths).toEqual([
      [32, 16],
      [32, 16],
      [64, 32],
      [64, 32],
    ]);
    expect(result.hiddenSizes).toEqual([64, 32]);
    expect(result.testAccuracy).toBeGreaterThan(0.5);
    const resumed = dir();
    let batches = 0;
    await train({ ...deep, outDir: resumed }, { hooks: { shouldStop: () => ++batches >= 9 } });
    await train({ outDir: resumed }, { resume: true });
    expect(weights(resumed)).toEqual(weights(straight));
    // The saved model carries its depth.
    expect(
      loadModel(createCpuBackend({ threads: false }), readFileSync(join(straight, 'model.sprout'))).widths,
    ).toEqual([784, 64, 32, 10]);
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
      /^seed: was 7 in the checkpoint, now 8: a continued run keeps it/,
    );
    await expect(train({ outDir: dir() }, { resume: true })).rejects.toThrow(/no checkpoint/);
  });

  it('refuses a directory that holds another run, and replaces it only with overwrite', async () => {
    const outDir = dir();
    await train({ ...slice, epochs: 1, outDir });
    const model = readFileSync(join(outDir, 'model.sprout'));
    const checkpoint = readFileSync(checkpointPath(outDir));
    await expect(train({ ...slice, epochs: 0, outDir })).rejects.toThrow(RunDirectoryError);
    await expect(train({ ...slice, epochs: 0, outDir })).rejects.toThrow(
      /already holds a run \(model\.sprout, checkpoint\.sprout\).*--overwrite/,
    );
    expect(readFileSync(join(outDir, 'model.sprout')).equals(model)).toBe(true);
    expect(readFileSync(checkpointPath(outDir)).equals(checkpoint)).toBe(true);
    // Files that are not Sprout's: refused without overwrite, left alone with it.
    writeFileSync(join(outDir, 'notes.png'), 'mine');
    await expect(
      train({ ...slice, epochs: 1, learningRate: 10, outDir }, { overwrite: true }),
    ).rejects.toThrow(TrainingDivergedError);
    // The replacing run failed: the replaced one is back, as it was.
    expect(readFileSync(join(outDir, 'model.sprout')).equals(model)).toBe(true);
    expect(readFileSync(checkpointPath(outDir)).equals(checkpoint)).toBe(true);
    await train({ ...slice, epochs: 0, outDir, seed: 9 }, { overwrite: true });
    expect(readCheckpoint(checkpointPath(outDir)).state.config.seed).toBe(9);
    expect(existsSync(join(outDir, '.replaced'))).toBe(false);
    expect(existsSync(join(outDir, 'model.sprout'))).toBe(true);
    expect(readFileSync(join(outDir, 'notes.png'), 'utf8')).toBe('mine');
    const mixed = dir();
    writeFileSync(join(mixed, 'notes.png'), 'mine');
    await expect(train({ ...slice, epochs: 0, outDir: mixed })).rejects.toThrow(
      /is not empty \(notes\.png\)/,
    );
  });

  it('keeps a second process out with a lock file, and recovers the lock of a dead one', async () => {
    const outDir = dir();
    const lock = join(outDir, '.sprout.lock');
    // pid 1 is alive (init) and is not this process: the directory is taken.
    writeFileSync(lock, '1\n');
    await expect(train({ ...slice, epochs: 0, outDir })).rejects.toThrow(
      /in use by another sprout run \(pid 1\)/,
    );
    expect(existsSync(checkpointPath(outDir))).toBe(false);
    // A pid no process has: a stale lock, taken over; an orphan temp file of that run is removed.
    writeFileSync(lock, '4194304\n');
    writeFileSync(join(outDir, 'model.sprout.tmp-4194304'), 'half a model');
    await train({ ...slice, epochs: 0, outDir });
    expect(existsSync(lock)).toBe(false);
    expect(existsSync(join(outDir, 'model.sprout.tmp-4194304'))).toBe(false);
  });

  it('stops a diverging run with a clear error and keeps the last good checkpoint', async () => {
    const outDir = dir();
    await expect(train({ ...slice, epochs: 3, learningRate: 10, outDir })).rejects.toThrow(
      TrainingDivergedError,
    );
    expect(readCheckpoint(checkpointPath(outDir)).state.epoch).toBe(0);
    expect(existsSync(join(outDir, 'model.sprout'))).toBe(false);
    expect(existsSync(join(outDir, '.sprout.lock'))).toBe(false);
  });

  it('covers the checkpoint state by its checksum: an edited epoch is refused', async () => {
    const outDir = dir();
    await train({ ...slice, epochs: 1, outDir });
    const file = checkpointPath(outDir);
    const bytes = readFileSync(file);
    const at = bytes.indexOf('"epoch":1,');
    expect(at).toBeGreaterThan(0);
    bytes[at + '"epoch":'.length] = '5'.charCodeAt(0);
    writeFileSync(file, bytes);
    await expect(train({ outDir, epochs: 6 }, { resume: true })).rejects.toThrow(/checksum mismatch/);
  });

  it('takes a new batch size on resume at an epoch boundary, and refuses it mid-epoch', async () => {
    const outDir = dir();
    await train({ ...slice, epochs: 1, outDir });
    await train({ outDir, epochs: 2, batchSize: 64 }, { resume: true });
    expect(readCheckpoint(checkpointPath(outDir)).state.batchSize).toBe(64);
    const mid = dir();
    let batches = 0;
    await train({ ...slice, epochs: 2, outDir: mid }, { hooks: { shouldStop: () => ++batches >= 8 } });
    await expect(train({ outDir: mid, batchSize: 32 }, { resume: true })).rejects.toThrow(
      /batchSize: cannot change to 32 in the middle of epoch 2/,
    );
  });

  it('follows the memory really left: smaller micro-batches with more per step, printed, then back', async () => {
    let short = false;
    const memory = new MemoryWatch({
      budget: 16e9,
      // The machine's memory runs short during epoch 1 (1 MB left), then comes back.
      sampler: () => ({
        time: Date.now(),
        rss: 1e8,
        heapUsed: 1,
        heapTotal: 2,
        external: 0,
        arrayBuffers: 0,
        systemTotal: 16e9,
        systemAvailable: short ? 1e6 : 8e9,
        cgroupLimit: null,
      }),
    });
    const messages: string[] = [];
    const sizes: number[] = [];
    const result = await train(
      { ...slice, epochs: 2, outDir: dir() },
      {
        memory,
        hooks: {
          onMessage: (m) => messages.push(m),
          onEpoch: (r) => {
            short = r.epoch === 0;
          },
          onBatch: (p) => sizes.push(p.batchSize),
        },
      },
    );
    const changes = messages.filter((m) => m.startsWith('memory: batch size'));
    expect(changes[0]).toMatch(
      /^memory: batch size 128 → 16 \(1 MiB left .*; 8 micro-batches per step keep 128 samples per step$/,
    );
    expect(changes).toHaveLength(2);
    expect(changes[1]).toMatch(/^memory: batch size 16 → 128 /);
    expect(sizes).toContain(16);
    expect(result.testAccuracy).toBeGreaterThan(0.3);
  });

  it('interrupted before its first epoch ends, a run says there is no model yet and writes none', async () => {
    const outDir = dir();
    const result = await train({ ...slice, epochs: 2, outDir }, { hooks: { shouldStop: () => true } });
    expect(result.interrupted).toBe(true);
    expect(result.modelSaved).toBe(false);
    expect(existsSync(join(outDir, 'model.sprout'))).toBe(false);
    expect(existsSync(join(outDir, 'metrics.json'))).toBe(false);
    const resumed = await train({ outDir }, { resume: true });
    expect(resumed.modelSaved).toBe(true);
    expect(existsSync(join(outDir, 'model.sprout'))).toBe(true);
  });
});
