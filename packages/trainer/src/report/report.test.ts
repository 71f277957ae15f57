import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EpochRecord } from '../history.js';
import { classificationReport } from '../metrics.js';
import { train } from '../trainer.js';
import {
  accuracyChart,
  accuracyZoomChart,
  confusionChart,
  costChart,
  widthChart,
  ZOOM_FLOOR,
} from './charts.js';
import { PNG_ZOOM } from './render.js';

it('writes every plot as SVG and PNG, and one self-contained report.html', async () => {
  const outDir = mkdtempSync(join(tmpdir(), 'sprout-report-'));
  await train({
    trainLimit: 600,
    devSize: 100,
    testLimit: 200,
    epochs: 2,
    initialHidden: [16],
    hidden: [32],
    growthEpochs: 2,
    backend: 'cpu',
    outDir,
  });
  for (const name of [
    'cost',
    'accuracy',
    'accuracy-zoom',
    'learning-rate',
    'hidden-width',
    'memory',
    'confusion-matrix',
    'predictions',
  ]) {
    expect(readFileSync(join(outDir, `${name}.svg`), 'utf8')).toMatch(/^<svg/);
    const png = readFileSync(join(outDir, `${name}.png`));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.length).toBeGreaterThan(2000);
  }
  const html = readFileSync(join(outDir, 'report.html'), 'utf8');
  expect(html).toContain('test accuracy');
  // What produced the run: its configuration, seed, dataset and hash, Sprout's version, backend.
  for (const row of [
    '<td>seed</td><td>42</td>',
    '<td>dataset</td><td>bundled MNIST</td>',
    '<td>trainLimit</td><td>600</td>',
  ])
    expect(html).toContain(row);
  expect(html).toMatch(/<td>dataset SHA-256<\/td><td><code>[0-9a-f]{64}<\/code>/);
  expect(html).toMatch(/<td>Sprout<\/td><td>\d+\.\d+\.\d+/);
  expect(html).toMatch(/<td>backend<\/td><td>backend: cpu/);
  // The predictions image is PNG_ZOOM× its SVG, like the charts: 10 columns of (28·2 + 8) SVG pixels.
  expect(readFileSync(join(outDir, 'predictions.png')).readUInt32BE(16)).toBe(
    Math.round(10 * (28 * 2 + 8) * PNG_ZOOM),
  );
  expect(html.match(/<svg/g)?.length).toBeGreaterThanOrEqual(7);
  expect(html).not.toMatch(/src="(?!data:)/); // nothing external
});

it('renders a run without a dev split (a small set trains on every row): no dev series, no dev row, no NaN', async () => {
  const outDir = mkdtempSync(join(tmpdir(), 'sprout-report-'));
  // Two classes of 60 rows, one on each side of a line.
  const x = Array.from({ length: 60 }, (_, i) => [
    i % 2 === 0 ? -1 - (i % 7) / 7 : 1 + (i % 5) / 5,
    (i % 11) / 11,
  ]);
  const y = x.map((r) => (r[0] < 0 ? 'left' : 'right'));
  const result = await train(
    { epochs: 3, backend: 'cpu', threads: 1, outDir },
    { data: { train: { x, y } } },
  );
  expect(result.bestDevAccuracy).toBeNull();
  const html = readFileSync(join(outDir, 'report.html'), 'utf8');
  expect(html).toContain('<td>monitor</td><td>&quot;train-loss&quot;</td>');
  expect(html).toContain('test accuracy');
  expect(html).not.toContain('best dev');
  expect(html).not.toMatch(/NaN|null%|undefined/);
  const history = JSON.parse(readFileSync(join(outDir, 'history.json'), 'utf8')) as EpochRecord[];
  const series = (spec: { data?: { values: { series: string }[] }; layer?: unknown }) =>
    new Set(
      (spec.data ?? (spec.layer as { data: { values: { series: string }[] } }[])[0].data).values.map(
        (v) => v.series,
      ),
    );
  expect(series(costChart(history))).toEqual(new Set(['train']));
  expect(series(accuracyChart(history))).toEqual(new Set(['train', 'test']));
});

const record = (epoch: number, train: number, dev: number, test: number): EpochRecord => ({
  epoch,
  trainLoss: 1,
  trainAccuracy: train,
  devLoss: 1,
  devAccuracy: dev,
  testAccuracy: test,
  learningRate: 1e-3,
  hiddenSize: 256,
  hiddenSizes: [256, 128],
  batchSize: 128,
  seconds: 1,
  elapsed: epoch,
  samplesPerSecond: 1,
  rssMB: 1,
});

describe('charts tell the truth', () => {
  const history = [record(0, 0.1, 0.1, 0.1), record(1, 0.85, 0.93, 0.92), record(2, 0.95, 0.97, 0.981)];
  type Layer = {
    data: { values: Record<string, unknown>[] };
    mark: Record<string, unknown>;
    encoding: Record<string, Record<string, unknown>>;
  };

  it('the zoomed accuracy never moves a value onto its axis: values below 90% are named at the edge and counted', () => {
    const spec = accuracyZoomChart(history);
    const [line, below] = spec.layer as Layer[];
    expect(line.data.values.every((v) => (v.value as number) >= ZOOM_FLOOR)).toBe(true);
    expect(line.data.values).toHaveLength(5);
    expect(below.mark.shape).toBe('triangle-down');
    expect(below.data.values).toEqual([{ epoch: 1, edge: ZOOM_FLOOR, label: 'epoch 1: train 85.0%' }]);
    expect(spec.title).toEqual({
      text: 'Accuracy, zoomed to 90–100%',
      subtitle: '▼ below the axis, not drawn — epoch 1: train 85.0%',
    });
    expect(JSON.stringify(spec)).not.toContain('clamp');
  });

  it('the zoom subtitle stays one short line when many values are below the axis', () => {
    const low = Array.from({ length: 10 }, (_, e) => record(e + 1, 0.5, 0.6, 0.7));
    expect((accuracyZoomChart(low).title as { subtitle: string }).subtitle).toBe(
      '▼ below the axis, not drawn — 30 values in epochs 1–10',
    );
  });

  it('the 98% lines are labelled; the confusion matrix has a colour legend and class names', () => {
    for (const spec of [accuracyChart(history), accuracyZoomChart(history)])
      expect(
        (spec.layer as Layer[]).some((l) => l.mark.type === 'text' && l.data.values[0].label === '98%'),
      ).toBe(true);
    const report = classificationReport([0, 1, 1], [0, 1, 0], 2);
    const confusion = confusionChart(report, ['cat', 'dog']);
    const [rect] = confusion.layer as Layer[];
    expect(rect.encoding.color.legend).toEqual({ title: 'test images' });
    expect((confusion.data as { values: { true: string }[] }).values.map((v) => v.true)).toEqual([
      'cat',
      'cat',
      'dog',
      'dog',
    ]);
  });

  it('the width chart draws every hidden layer', () => {
    const spec = widthChart(history);
    expect((spec.data as { values: unknown[] }).values).toHaveLength(6);
    expect(spec.title).toBe('Hidden layer widths (growth)');
  });
});
