import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { croppedImages, loadBundledMnist } from '@sprout/data-mnist';
import { loadModel, saveModel } from '@sprout/layers';
import { CpuBackend } from '@sprout/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig } from './config.js';
import type { TrainConfigInput } from './configTypes.js';
import type { EpochRecord } from './history.js';
import { newSession } from './session.js';
import { train } from './trainer.js';
import { type LoopProgress, TrainingLoop } from './trainingLoop.js';

const mnist = await loadBundledMnist({ verify: false });
const out = mkdtempSync(join(tmpdir(), 'sprout-loop-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const input: TrainConfigInput = {
  epochs: 2,
  trainLimit: 1500,
  testLimit: 500,
  devSize: 300,
  hidden: [24],
  initialHidden: [16],
  growthEpochs: 2,
  batchSize: 50,
  backend: 'cpu',
  threads: 1,
  seed: 5,
  report: false,
};

function firstImages(n: number) {
  const t = mnist.train;
  return { ...t, count: n, images: t.images.subarray(0, n * 784), labels: t.labels.subarray(0, n) };
}

describe('the training loop without files', () => {
  it('trains exactly as train() does: the same history and the same best weights', async () => {
    const config = resolveConfig({ ...input, outDir: join(out, 'loop') });
    const backend = new CpuBackend({ threads: 1 });
    const checkpoints: LoopProgress[] = [];
    const epochs: EpochRecord[] = [];
    const messages: string[] = [];
    const loop = new TrainingLoop({
      config,
      session: newSession(backend, config, 784, 10),
      // All of MNIST: the loop takes the first trainLimit and testLimit images, as train() does.
      data: { train: croppedImages(mnist.train), test: mnist.test, classes: 10 },
      modelMetadata: { input: { rows: 28, cols: 28 }, classes: 10 },
      onCheckpoint: (p) => checkpoints.push(structuredClone(p)),
    });
    const outcome = await loop.run({ onEpoch: (r) => epochs.push(r), onMessage: (m) => messages.push(m) });
    expect(outcome).toEqual({ interrupted: false, stoppedEarly: false });
    expect(epochs.map((r) => r.epoch)).toEqual([0, 1, 2]);
    expect(checkpoints.map((c) => c.epoch)).toEqual([0, 1, 2]);
    expect(messages).toContain('epoch 2: hidden layer grew to 24 units');
    expect(loop.history[2].devAccuracy).toBeGreaterThan(0.5);
    expect(loop.split.train.length + loop.split.dev.length).toBe(1500);

    const dir = join(out, 'train');
    const result = await train({ ...input, outDir: dir });
    const saved = JSON.parse(readFileSync(join(dir, 'history.json'), 'utf8')) as EpochRecord[];
    const figures = (r: EpochRecord) => [
      r.trainLoss,
      r.trainAccuracy,
      r.devLoss,
      r.devAccuracy,
      r.testAccuracy,
    ];
    expect(saved.map(figures)).toEqual(loop.history.map(figures));
    expect(result.bestDevAccuracy).toBe(
      Math.max(...loop.history.slice(1).map((r) => r.devAccuracy as number)),
    );
    // The best weights, byte for byte (the saved model also records its dataset).
    const fromTrain = loadModel(backend, readFileSync(join(dir, 'model.sprout')));
    const fromLoop = loadModel(backend, loop.bestModel!);
    fromTrain.parameters().forEach((p, i) => {
      expect(p.value.toArray()).toEqual(fromLoop.parameters()[i].value.toArray());
    });
    backend.dispose();
  });

  it('holds out a twelfth of a small training set as dev by default (at most 5,000)', () => {
    const backend = new CpuBackend({ threads: 1 });
    const loopOf = (input: TrainConfigInput) => {
      const config = resolveConfig(input);
      return new TrainingLoop({
        config,
        session: newSession(backend, config, 784, 10),
        data: { train: croppedImages(mnist.train), test: mnist.test, classes: 10 },
      });
    };
    expect(resolveConfig({}).devSize).toBeUndefined();
    expect(loopOf({ trainLimit: 1200 }).split.dev.length).toBe(100);
    expect(loopOf({ trainLimit: 1200 }).split.train.length).toBe(1100);
    expect(loopOf({}).split.dev.length).toBe(5000);
    expect(loopOf({ trainLimit: 1200, devSize: 300 }).split.dev.length).toBe(300);
    expect(() => loopOf({ trainLimit: 1200, devSize: 1200 })).toThrow(
      'devSize: is 1200 but must be smaller than the 1200 training images: lower it',
    );
    // The training loss as monitor: no dev split, every image trains.
    const all = loopOf({ trainLimit: 1200, monitor: 'train-loss' }).split;
    expect([all.train.length, all.dev.length]).toEqual([1200, 0]);
    backend.dispose();
  });

  it('with monitor train-loss trains on every image, records no dev figures, and stops and keeps the weights by the training loss', async () => {
    const config = resolveConfig({
      ...input,
      devSize: undefined,
      trainLimit: 600,
      initialHidden: [24],
      epochs: 4,
      monitor: 'train-loss',
      // An improvement must beat the best loss by 10: only epoch 1's (from nothing) does, so the
      // run stops after epoch 2 and keeps epoch 1's weights.
      patience: 1,
      minDelta: 10,
    });
    const backend = new CpuBackend({ threads: 1 });
    const loop = new TrainingLoop({
      config,
      session: newSession(backend, config, 784, 10),
      data: { train: croppedImages(mnist.train), test: mnist.test, classes: 10 },
    });
    const messages: string[] = [];
    const batches = new Set<number>();
    let afterEpoch1: Uint8Array | null = null;
    const outcome = await loop.run({
      onBatch: (p) => batches.add(p.batches),
      onEpoch: (r) => {
        if (r.epoch === 1) afterEpoch1 = saveModel(loop.session.model);
      },
      onMessage: (m) => messages.push(m),
    });
    expect(outcome).toEqual({ interrupted: false, stoppedEarly: true });
    expect(loop.split.dev.length).toBe(0);
    expect(loop.split.train.length).toBe(600);
    expect([...batches]).toEqual([600 / 50]);
    expect(loop.history.map((r) => [r.epoch, r.devLoss, r.devAccuracy])).toEqual([
      [0, null, null],
      [1, null, null],
      [2, null, null],
    ]);
    expect(loop.history[2].testAccuracy).toBeGreaterThan(0.5);
    const loss1 = (loop.history[1].trainLoss as number).toFixed(4);
    expect(messages).toContain(
      `early stopping: training loss has not improved for 1 epochs (best ${loss1} at epoch 1)`,
    );
    const kept = loadModel(backend, loop.bestModel!);
    const first = loadModel(backend, afterEpoch1!);
    kept.parameters().forEach((p, i) => {
      expect(p.value.toArray()).toEqual(first.parameters()[i].value.toArray());
      expect(p.value.toArray()).not.toEqual(loop.session.model.parameters()[i].value.toArray());
    });
    backend.dispose();
  });

  it('without a dev split measures an exploded loss against ln(classes), what an untrained network scores', async () => {
    const config = resolveConfig({
      ...input,
      devSize: undefined,
      trainLimit: 600,
      monitor: 'train-loss',
      learningRate: 3,
    });
    const backend = new CpuBackend({ threads: 1 });
    const loop = new TrainingLoop({
      config,
      session: newSession(backend, config, 784, 10),
      data: { train: croppedImages(mnist.train), test: mnist.test, classes: 10 },
    });
    await expect(loop.run()).rejects.toThrow(
      /^training diverged in epoch 1: train loss [\d.]+ is over 10× an untrained network's ln 10 = 2\.30; try a lower --learning-rate \(now 3\)$/,
    );
    backend.dispose();
  });

  it('an interrupted loop, run again, goes on from where it stopped: the same weights as never stopped', async () => {
    const backend = new CpuBackend({ threads: 1 });
    const make = () => {
      const config = resolveConfig({ ...input, epochs: 1, outDir: join(out, 'interrupted') });
      return new TrainingLoop({
        config,
        session: newSession(backend, config, 784, 10),
        data: { train: croppedImages(mnist.train), test: mnist.test, classes: 10 },
      });
    };
    const straight = make();
    await straight.run();
    const stopped = make();
    let steps = 0;
    expect(await stopped.run({ shouldStop: () => ++steps === 7 })).toEqual({
      interrupted: true,
      stoppedEarly: false,
    });
    expect(stopped.epoch).toBe(0);
    expect(await stopped.run()).toEqual({ interrupted: false, stoppedEarly: false });
    expect(stopped.history.map((r) => r.trainLoss)).toEqual(straight.history.map((r) => r.trainLoss));
    stopped.session.model.parameters().forEach((p, i) => {
      expect(p.value.toArray()).toEqual(straight.session.model.parameters()[i].value.toArray());
    });
    backend.dispose();
  });

  it('pauses where the pause point asks, and paused time is not training time', async () => {
    const config = resolveConfig({ ...input, epochs: 1, outDir: join(out, 'pause') });
    const backend = new CpuBackend({ threads: 1 });
    const loop = new TrainingLoop({
      config,
      session: newSession(backend, config, 784, 10),
      data: { train: croppedImages(firstImages(1500)), test: mnist.test, classes: 10 },
      modelMetadata: { input: { rows: 28, cols: 28 }, classes: 10 },
    });
    let pauses = 0;
    let batchesWhilePaused = 0;
    let paused = false;
    const records: EpochRecord[] = [];
    const started = performance.now();
    await loop.run({
      onBatch: () => {
        if (paused) batchesWhilePaused++;
      },
      onEpoch: (r) => records.push(r),
      pausePoint: () => {
        if (pauses > 0) return undefined;
        pauses++;
        paused = true;
        return new Promise<void>((done) =>
          setTimeout(() => {
            paused = false;
            done();
          }, 1500),
        );
      },
    });
    expect(pauses).toBe(1);
    expect(batchesWhilePaused).toBe(0);
    // The run's wall time included a 1.5 s pause; neither its training seconds nor its elapsed
    // time count it.
    const wall = (performance.now() - started) / 1000;
    expect(wall).toBeGreaterThan(1.5);
    expect(records[1].seconds).toBeLessThan(wall - 1.4);
    expect(records[1].elapsed).toBeLessThan(wall - 1.4);
    backend.dispose();
  });
});

describe('@sprout/trainer/core', () => {
  it('reaches no Node module and no Node-only package (it runs in browsers)', () => {
    const src = dirname(fileURLToPath(import.meta.url));
    const seen = new Set<string>();
    const offending: string[] = [];
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      // Type-only imports vanish from the build.
      for (const [, typeOnly, from] of text.matchAll(
        /^(?:import|export) (type )?[^;]*? from '([^']+)';/gms,
      )) {
        if (typeOnly) continue;
        if (from.startsWith('.')) visit(resolve(dirname(file), from.replace(/\.js$/, '.ts')));
        else if (
          from.startsWith('node:') ||
          from === '@sprout/data-mnist' ||
          from === '@sprout/memwatch' ||
          from === '@sprout/trainer'
        )
          offending.push(`${file.slice(src.length + 1)} imports ${from}`);
      }
    };
    visit(join(src, 'core.ts'));
    expect(seen.size).toBeGreaterThan(8);
    expect(offending).toEqual([]);
  });
});
