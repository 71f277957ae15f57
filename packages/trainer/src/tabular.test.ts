import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { featureProbabilities, readModelFile } from '@sprout/layers';
import { createBackend, createGpuBackend } from '@sprout/tensor';
import { describe, expect, it } from 'vitest';
import { checkpointPath, readCheckpoint } from './checkpoint.js';
import { resolveConfig } from './config.js';
import type { TrainConfigInput } from './configTypes.js';
import { ConfigError, DatasetMismatchError } from './errors.js';
import { evaluateSaved } from './evaluateSaved.js';
import { exportSaved } from './export/exportSaved.js';
import type { EpochRecord } from './history.js';
import { predictImages } from './predictImages.js';
import { predictCsv, predictFeatureRows } from './predictRows.js';
import { loadSavedModel } from './savedModel.js';
import { smallSetConfig, TABULAR_DEFAULTS, type TabularData } from './tabularData.js';
import { argmax, maxAbsDiff, onnxProbabilities, tfjsProbabilities } from './test-support/exportRuntimes.js';
import { train } from './trainer.js';

/**
 * Three classes told apart only by features on wildly different scales: a price in the millions,
 * a ratio in thousandths, plus a noise column. Unstandardised, the price swamps the rest.
 */
function blobs(count: number, seed: number): { x: number[][]; y: string[] } {
  let s = seed;
  const random = () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647;
  };
  const x: number[][] = [];
  const y: string[] = [];
  for (let i = 0; i < count; i++) {
    const c = i % 3;
    x.push([
      2e6 + (c === 1 ? 4e5 : 0) + random() * 3e5,
      0.001 + (c === 2 ? 0.004 : 0) + random() * 0.003,
      random(),
    ]);
    y.push(['low', 'mid', 'high'][c]);
  }
  return { x, y };
}

const quiet = { report: false, backend: 'cpu' as const, threads: 1 };
const testRows = blobs(300, 99);
const data: TabularData = {
  train: blobs(600, 7),
  test: testRows,
  featureNames: ['price', 'ratio', 'noise'],
};

describe('train() on your own arrays', () => {
  it('learns features on wildly different scales; the model keeps their standardisation and class names', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'sprout-tabular-'));
    const result = await train({ ...quiet, outDir, epochs: 30 }, { data });
    expect(result.testAccuracy).toBeGreaterThan(0.95);
    const { metadata } = readModelFile(
      (await createBackend({ backend: 'cpu', threads: false })).backend,
      readFileSync(join(outDir, 'model.sprout')),
    );
    expect(metadata.classNames).toEqual(['high', 'low', 'mid']);
    expect(metadata.features?.names).toEqual(['price', 'ratio', 'noise']);
    expect(metadata.features?.mean[0]).toBeGreaterThan(1e6);
    // predict on raw rows: standardised as in training.
    const saved = await loadSavedModel(outDir, 'cpu');
    const predicted = predictFeatureRows(saved, testRows.x);
    saved.dispose();
    const right = predicted.filter((p, i) => p.name === testRows.y[i]).length;
    expect(right / 300).toBeCloseTo(result.testAccuracy as number, 10);
  });

  it('continued after an interruption, ends with the same weights as a run straight through', async () => {
    const straight = mkdtempSync(join(tmpdir(), 'sprout-tabular-'));
    const halves = mkdtempSync(join(tmpdir(), 'sprout-tabular-'));
    // The cosine schedule spans 6 epochs in both (else it would span each call's epochs).
    const config = { ...quiet, epochs: 6, patience: 0, scheduleEpochs: 6 };
    await train({ ...config, outDir: straight }, { data });
    await train({ ...config, outDir: halves, epochs: 3 }, { data });
    await train({ ...config, outDir: halves }, { data, resume: true });
    expect(readFileSync(join(halves, 'model.sprout'))).toEqual(readFileSync(join(straight, 'model.sprout')));
    // Other rows are not the same run's.
    const changed = {
      ...data,
      train: { ...data.train, x: (data.train.x as number[][]).map((r) => [r[0] + 1, r[1], r[2]]) },
    };
    await expect(
      train({ ...config, outDir: halves, epochs: 8 }, { data: changed, resume: true }),
    ).rejects.toThrow(DatasetMismatchError);
    expect(readFileSync(checkpointPath(halves)).length).toBeGreaterThan(0);
    // Without the rows, it says to pass them (not that MNIST changed).
    await expect(train({ ...config, outDir: halves, epochs: 8 }, { resume: true })).rejects.toThrow(
      /data: this run trained on in-memory rows: pass the same data to continue it/,
    );
  });

  it('refuses test rows with other columns, and images given to a model of rows', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'sprout-tabular-'));
    const wide = { x: testRows.x.map((r) => [...r, 0]), y: testRows.y };
    await expect(train({ ...quiet, outDir }, { data: { ...data, test: wide } })).rejects.toThrow(
      /data\.test: row 0 has 4 values, expected 3/,
    );
    await train({ ...quiet, outDir, epochs: 2 }, { data, overwrite: true });
    await expect(predictImages({ outDir, files: ['seven.png'], backend: 'cpu' })).rejects.toThrow(
      /takes rows of 3 features, not images: give it CSV files/,
    );
  });
});

describe('a small set (under 1,000 training rows)', () => {
  // 150 rows, as iris: 30 test rows, 120 training rows (a dev split of them would be 10).
  const small: TabularData = { train: blobs(150, 7) };
  const runFiles = (outDir: string) => ({
    metrics: JSON.parse(readFileSync(join(outDir, 'metrics.json'), 'utf8')),
    history: JSON.parse(readFileSync(join(outDir, 'history.json'), 'utf8')) as EpochRecord[],
  });

  it('trains on every row by default, for up to 200 epochs, stopping and keeping the weights by the training loss', async () => {
    // Stopped after its first batch: what the run said and the config its checkpoint holds.
    const outDir = mkdtempSync(join(tmpdir(), 'sprout-small-'));
    const messages: string[] = [];
    let trainSize = 0;
    const stopped = await train(
      { ...quiet, outDir },
      {
        data: small,
        hooks: {
          onMessage: (m) => messages.push(m),
          onStart: (info) => (trainSize = info.trainSize),
          shouldStop: () => true,
        },
      },
    );
    expect(stopped.interrupted).toBe(true);
    expect(messages).toContain(
      "120 training rows: too few to hold out a dev split worth choosing on; every row trains (up to 200 epochs) and early stopping follows the training loss, as scikit-learn's MLPClassifier does (--monitor dev-loss holds one out)",
    );
    expect(trainSize).toBe(120);
    expect(readCheckpoint(checkpointPath(outDir)).state.config).toMatchObject({
      monitor: 'train-loss',
      devSize: 0,
      epochs: 200,
      lrSchedule: 'cosine',
    });
  });

  it('without a dev split: null dev figures; continued after an interruption mid-epoch, the same bit for bit', async () => {
    const straight = mkdtempSync(join(tmpdir(), 'sprout-small-'));
    const result = await train({ ...quiet, outDir: straight, epochs: 12 }, { data: small });
    expect(result.testAccuracy).toBeGreaterThan(0.9);
    expect(result.bestDevAccuracy).toBeNull();
    const { metrics, history } = runFiles(straight);
    expect(metrics.config).toMatchObject({ monitor: 'train-loss', devSize: 0, epochs: 12 });
    expect(metrics.bestDevAccuracy).toBeNull();
    expect(history.map((r) => [r.devLoss, r.devAccuracy])).toEqual(history.map(() => [null, null]));
    // Interrupted in epoch 8 (4 batches an epoch) and continued: the same weights as straight through.
    const halves = mkdtempSync(join(tmpdir(), 'sprout-small-'));
    let batches = 0;
    const stopped = await train(
      { ...quiet, outDir: halves, epochs: 12 },
      { data: small, hooks: { shouldStop: () => ++batches === 30 } },
    );
    expect(stopped.interrupted).toBe(true);
    const again: string[] = [];
    await train(
      { ...quiet, outDir: halves },
      { data: small, resume: true, hooks: { onMessage: (m) => again.push(m) } },
    );
    expect(again.some((m) => m.includes('too few to hold out'))).toBe(false);
    expect(readFileSync(join(halves, 'model.sprout'))).toEqual(readFileSync(join(straight, 'model.sprout')));
    expect(runFiles(halves).history).toHaveLength(13);
    // The monitor is the run's: continuing with another is refused, by name.
    await expect(
      train({ ...quiet, outDir: halves, monitor: 'dev-loss' }, { data: small, resume: true }),
    ).rejects.toThrow(
      /^monitor: was "train-loss" in the checkpoint, now "dev-loss": a continued run keeps it/,
    );
  });

  it('keeps a dev split where the user asks for one; a dev size with monitor train-loss is an error', async () => {
    const run = async (options: TrainConfigInput) => {
      const outDir = mkdtempSync(join(tmpdir(), 'sprout-small-'));
      const messages: string[] = [];
      const result = await train(
        { ...quiet, outDir, epochs: 2, ...options },
        { data: small, hooks: { onMessage: (m) => messages.push(m) } },
      );
      return { result, messages, config: runFiles(outDir).metrics.config };
    };
    for (const [asked, devSize] of [
      [{ monitor: 'dev-loss' }, 10],
      [{ devSize: 20 }, 20],
    ] as const) {
      const { result, messages, config } = await run(asked);
      expect(messages.some((m) => m.includes('too few to hold out'))).toBe(false);
      expect(config).toMatchObject({ monitor: 'dev-loss', devSize, epochs: 2 });
      expect(result.bestDevAccuracy).toBeGreaterThan(0);
    }
    const both = run({ monitor: 'train-loss', devSize: 20 });
    await expect(both).rejects.toThrow(ConfigError);
    await expect(both).rejects.toThrow(/^devSize: cannot go with monitor train-loss/);
  });

  it('applies under 1,000 training rows to a run that chose neither monitor nor dev size', () => {
    const config = resolveConfig({ ...TABULAR_DEFAULTS, task: 'regression' });
    expect(smallSetConfig(config, {}, 1000)).toBeNull();
    expect(smallSetConfig(config, { monitor: 'dev-loss' }, 999)).toBeNull();
    expect(smallSetConfig(config, { devSize: 50 }, 999)).toBeNull();
    const small = smallSetConfig(config, {}, 999);
    expect([small?.config.monitor, small?.config.epochs]).toEqual(['train-loss', 200]);
    expect(small?.message).toMatch(
      /^999 training rows: .* \(up to 200 epochs\) .* scikit-learn's MLPRegressor does/,
    );
    expect(smallSetConfig(config, { epochs: 40 }, 999)?.config.epochs).toBe(40);
  });
});

// The gpu backend where it runs here (Mesa's software GL under a display).
const gpu = await createGpuBackend({ allowSoftwareGl: true }).catch(() => null);
gpu?.dispose();

it.runIf(gpu)('trains rows on the gpu backend as on the cpu (dense batches, labels as arrays)', async () => {
  const run = async (backend: 'cpu' | 'gpu') =>
    train(
      {
        report: false,
        backend,
        threads: 1,
        epochs: 10,
        patience: 0,
        outDir: mkdtempSync(join(tmpdir(), 'sprout-tabular-')),
      },
      { data },
    );
  const [cpu, onGpu] = [await run('cpu'), await run('gpu')];
  expect(onGpu.backend).toMatch(/^gpu/);
  expect(onGpu.testAccuracy).toBeGreaterThan(0.95);
  expect(Math.abs((onGpu.testAccuracy as number) - (cpu.testAccuracy as number))).toBeLessThan(0.02);
});

describe('a CSV run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sprout-csv-run-'));
  const write = (name: string, rows: { x: number[][]; y: string[] }) => {
    const file = join(dir, name);
    writeFileSync(
      file,
      `price,ratio,noise,kind\n${rows.x.map((r, i) => `${r.join(',')},${rows.y[i]}`).join('\n')}\n`,
    );
    return file;
  };
  const csv = write('train.csv', blobs(600, 7));
  const testCsv = write('test.csv', blobs(300, 99));

  it('evaluates on its own test file again, predicts CSV rows, and exports models that take raw features', async () => {
    const outDir = join(dir, 'run');
    const result = await train({ ...quiet, outDir, csv, label: 'kind', testCsv, epochs: 30 });
    expect(result.testAccuracy).toBeGreaterThan(0.95);
    const again = await evaluateSaved({ outDir, backend: 'cpu' });
    expect(again.accuracy).toBe(result.testAccuracy);
    expect(again.dataset).toBe(testCsv);
    const rows = await predictCsv({ outDir, file: testCsv, backend: 'cpu' });
    expect(rows[0].line).toBe(2);
    // Rows to classify may keep an empty label column.
    const blank = join(dir, 'blank.csv');
    writeFileSync(blank, 'price,ratio,noise,kind\n2000000,0.001,0.5,\n');
    expect((await predictCsv({ outDir, file: blank, backend: 'cpu' }))[0].name).toBe('low');
    // --test names another file to score.
    expect((await evaluateSaved({ outDir, backend: 'cpu', testCsv: csv })).dataset).toBe(csv);
    const saved = await loadSavedModel(outDir, 'cpu');
    const raw = Float32Array.from(blobs(300, 99).x.flat());
    const sprout = predictProbabilities(saved, raw);
    saved.dispose();
    for (const int8 of [false, true]) {
      const to = (format: string) => join(outDir, `${format}-${int8}`);
      await exportSaved({ outDir, format: 'tfjs', to: to('tfjs'), int8 });
      await exportSaved({ outDir, format: 'onnx', to: to('onnx'), int8 });
      for (const runtime of [
        await tfjsProbabilities(to('tfjs'), raw, 300),
        await onnxProbabilities(join(to('onnx'), 'model.onnx'), raw, 300),
      ]) {
        if (!int8) expect(maxAbsDiff(runtime, sprout)).toBeLessThan(1e-4);
        const agree = argmax(runtime, 3).filter((c, i) => c === argmax(sprout, 3)[i]).length;
        expect(agree).toBeGreaterThanOrEqual(int8 ? 294 : 300);
      }
    }
  });
});

/** Probabilities of raw rows through the saved model (standardised by its statistics). */
function predictProbabilities(
  saved: Awaited<ReturnType<typeof loadSavedModel>>,
  raw: Float32Array,
): Float32Array {
  const { mean, std } = saved.metadata.features as { mean: number[]; std: number[] };
  const x = raw.map((v, i) => (v - mean[i % 3]) / std[i % 3]);
  return featureProbabilities(saved.model, x, raw.length / 3, 3);
}

describe('regression on your own rows', () => {
  /** y = 3·a − 2·(b / 1000) + noise, features on scales 1000× apart. */
  function linear(count: number, seed: number) {
    let s = seed;
    const random = () => {
      s = (s * 16807) % 2147483647;
      return s / 2147483647;
    };
    const x: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < count; i++) {
      const [a, b] = [random() * 2 - 1, random() * 2000 - 1000];
      x.push([a, b]);
      y.push(100 + 3 * a - 2 * (b / 1000) + (random() - 0.5) * 0.05);
    }
    return { x, y };
  }

  it('learns a number from rows: R² on the test rows, predictions in the target units, no class export', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'sprout-regression-'));
    const test = linear(200, 5);
    const result = await train(
      { ...quiet, outDir, task: 'regression', epochs: 60 },
      { data: { train: linear(800, 3), test } },
    );
    expect(result.testAccuracy).toBeNull();
    // 640 training rows: no dev split, no dev R².
    expect(result.bestDevAccuracy).toBeNull();
    expect(result.testRegression?.r2).toBeGreaterThan(0.98);
    expect(result.testRegression?.mae).toBeLessThan(0.2);
    const saved = await loadSavedModel(outDir, 'cpu');
    const predicted = predictFeatureRows(saved, test.x.slice(0, 20));
    saved.dispose();
    for (const [i, p] of predicted.entries())
      expect(Math.abs((p.value as number) - test.y[i])).toBeLessThan(0.5);
    // Exports take raw features and give the number in its units, in their own runtimes.
    const raw = Float32Array.from(test.x.flat());
    const values = Float32Array.from(predicted, (p) => p.value as number);
    await exportSaved({ outDir, format: 'onnx', to: join(outDir, 'onnx') });
    await exportSaved({ outDir, format: 'tfjs', to: join(outDir, 'tfjs') });
    for (const runtime of [
      await onnxProbabilities(join(outDir, 'onnx', 'model.onnx'), raw, 200),
      await tfjsProbabilities(join(outDir, 'tfjs'), raw, 200),
    ])
      expect(maxAbsDiff(runtime.subarray(0, 20), values)).toBeLessThan(1e-3);
    // A class label is not a number: named, not trained as NaN.
    await expect(
      train(
        { ...quiet, outDir: join(outDir, 'bad'), task: 'regression' },
        { data: { train: { x: [[1], [2]], y: ['a', 'b'] } } },
      ),
    ).rejects.toThrow(/data\.train: y\[0\] is "a": a regression target must be a finite number/);
    await expect(train({ ...quiet, outDir: join(outDir, 'images'), task: 'regression' })).rejects.toThrow(
      /task: regression applies to rows of features/,
    );
  });
});
