import type { EpochRecord } from '../history.js';
import type { ClassificationReport } from '../metrics.js';

/** A Vega-Lite specification (kept loose: vega-lite validates it when compiling). */
export type VegaLiteSpec = Record<string, unknown>;

const base = {
  width: 480,
  height: 260,
  background: 'white',
  config: { font: 'DejaVu Sans, Liberation Sans, sans-serif' },
};

function longForm(history: EpochRecord[], fields: Record<string, keyof EpochRecord>) {
  return history.flatMap((h) =>
    Object.entries(fields)
      .filter(([, f]) => h[f] !== null)
      .map(([series, f]) => ({ epoch: h.epoch, series, value: h[f] as number })),
  );
}

/** Train and dev cross-entropy per epoch. */
export function costChart(history: EpochRecord[]): VegaLiteSpec {
  return {
    ...base,
    title: 'Cost (cross-entropy) per epoch',
    data: { values: longForm(history, { train: 'trainLoss', dev: 'devLoss' }) },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'epoch' },
      y: { field: 'value', type: 'quantitative', title: 'loss', scale: { type: 'log' } },
      color: { field: 'series', type: 'nominal', title: null },
    },
  };
}

/** Train/dev/test accuracy per epoch with the 98% line. */
export function accuracyChart(history: EpochRecord[]): VegaLiteSpec {
  return {
    ...base,
    title: 'Accuracy per epoch (epoch 0 = untrained)',
    layer: [
      {
        data: {
          values: longForm(history, { train: 'trainAccuracy', dev: 'devAccuracy', test: 'testAccuracy' }),
        },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'epoch', type: 'quantitative' },
          y: { field: 'value', type: 'quantitative', title: 'accuracy', axis: { format: '%' } },
          color: { field: 'series', type: 'nominal', title: null },
        },
      },
      {
        data: { values: [{ y: 0.98 }] },
        mark: { type: 'rule', strokeDash: [4, 4], color: '#888' },
        encoding: { y: { field: 'y', type: 'quantitative' } },
      },
    ],
  };
}

/** Zoom on the last stretch: accuracies from 90% up, where the interesting differences are. */
export function accuracyZoomChart(history: EpochRecord[]): VegaLiteSpec {
  const trained = history.filter((h) => h.epoch > 0);
  const spec = accuracyChart(trained);
  (spec.layer as { encoding: { y: Record<string, unknown> } }[])[0].encoding.y.scale = {
    domain: [0.9, 1],
    clamp: true,
  };
  return { ...spec, title: 'Accuracy, zoomed to 90–100%' };
}

/** Learning rate per epoch (warmup, then decay). */
export function learningRateChart(history: EpochRecord[]): VegaLiteSpec {
  return {
    ...base,
    title: 'Learning rate schedule',
    data: { values: history.filter((h) => h.epoch > 0).map((h) => ({ epoch: h.epoch, lr: h.learningRate })) },
    mark: { type: 'line', point: true, interpolate: 'step-after' },
    encoding: {
      x: { field: 'epoch', type: 'quantitative' },
      y: { field: 'lr', type: 'quantitative', title: 'learning rate' },
    },
  };
}

/** Hidden-layer width per epoch (growth). */
export function widthChart(history: EpochRecord[]): VegaLiteSpec {
  return {
    ...base,
    title: 'Hidden layer width (growth)',
    data: { values: history.map((h) => ({ epoch: h.epoch, width: h.hiddenSize })) },
    mark: { type: 'line', point: true, interpolate: 'step-after' },
    encoding: {
      x: { field: 'epoch', type: 'quantitative' },
      y: { field: 'width', type: 'quantitative', title: 'units' },
    },
  };
}

/** RSS and JS heap over the run, by phase. */
export function memoryChart(
  samples: { seconds: number; rssMB: number; heapMB: number; phase: string }[],
): VegaLiteSpec {
  return {
    ...base,
    title: 'Memory over the run',
    data: {
      values: samples.flatMap((s) => [
        { seconds: s.seconds, series: 'RSS', MB: s.rssMB, phase: s.phase },
        { seconds: s.seconds, series: 'JS heap used', MB: s.heapMB, phase: s.phase },
      ]),
    },
    mark: { type: 'line' },
    encoding: {
      x: { field: 'seconds', type: 'quantitative', title: 'seconds since start' },
      y: { field: 'MB', type: 'quantitative', title: 'MiB' },
      color: { field: 'series', type: 'nominal', title: null },
    },
  };
}

/** Confusion matrix heatmap with counts. */
export function confusionChart(report: ClassificationReport): VegaLiteSpec {
  const values = report.confusion.flatMap((row, t) =>
    row.map((count, p) => ({ true: t, predicted: p, count })),
  );
  return {
    ...base,
    width: 360,
    height: 360,
    title: 'Confusion matrix (test set)',
    data: { values },
    encoding: {
      x: { field: 'predicted', type: 'ordinal' },
      y: { field: 'true', type: 'ordinal' },
    },
    layer: [
      {
        mark: 'rect',
        encoding: {
          color: {
            field: 'count',
            type: 'quantitative',
            scale: { type: 'symlog', scheme: 'blues' },
            legend: null,
          },
        },
      },
      {
        mark: { type: 'text', fontSize: 10 },
        encoding: {
          text: { field: 'count', type: 'quantitative' },
          color: { condition: { test: 'datum.count > 200', value: 'white' }, value: 'black' },
        },
      },
    ],
  };
}
