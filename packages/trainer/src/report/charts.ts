import type { EpochRecord } from '../history.js';
import type { ClassificationReport } from '../metrics.js';

/** A Vega-Lite specification (kept loose: vega-lite validates it when compiling). */
export type VegaLiteSpec = Record<string, unknown>;

/** Epochs are whole numbers: no 1.5 on the axis. */
const epochAxis = { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1, format: 'd' } } as const;

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
      x: { ...epochAxis, title: 'epoch' },
      y: { field: 'value', type: 'quantitative', title: 'loss', scale: { type: 'log' } },
      color: { field: 'series', type: 'nominal', title: null },
    },
  };
}

const accuracies = (history: EpochRecord[]) =>
  longForm(history, { train: 'trainAccuracy', dev: 'devAccuracy', test: 'testAccuracy' });

/** The dashed 98% line, labelled at its right end. */
const line98 = [
  {
    data: { values: [{ y: 0.98 }] },
    mark: { type: 'rule', strokeDash: [4, 4], color: '#888' },
    encoding: { y: { field: 'y', type: 'quantitative' } },
  },
  {
    data: { values: [{ y: 0.98, label: '98%' }] },
    mark: { type: 'text', align: 'right', baseline: 'bottom', dx: -2, dy: -2, color: '#666', x: 'width' },
    encoding: { y: { field: 'y', type: 'quantitative' }, text: { field: 'label' } },
  },
];

/** Train/dev/test accuracy per epoch with the labelled 98% line. */
export function accuracyChart(history: EpochRecord[]): VegaLiteSpec {
  return {
    ...base,
    title: 'Accuracy per epoch (epoch 0 = untrained)',
    layer: [
      {
        data: { values: accuracies(history) },
        mark: { type: 'line', point: true },
        encoding: {
          x: epochAxis,
          y: { field: 'value', type: 'quantitative', title: 'accuracy', axis: { format: '%' } },
          color: { field: 'series', type: 'nominal', title: null },
        },
      },
      ...line98,
    ],
  };
}

/** Lower edge of the zoomed accuracy axis. */
export const ZOOM_FLOOR = 0.9;

/**
 * Zoom on the last stretch, accuracies from 90% up. Nothing is moved onto the axis: the values
 * below 90% are not drawn as points there; each epoch that has some gets a ▼ at the bottom edge
 * naming them, and the title counts them.
 */
export function accuracyZoomChart(history: EpochRecord[]): VegaLiteSpec {
  const values = accuracies(history.filter((h) => h.epoch > 0));
  const inside = values.filter((v) => v.value >= ZOOM_FLOOR);
  const belowValues = values.filter((v) => v.value < ZOOM_FLOOR);
  const below = [...new Set(belowValues.map((v) => v.epoch))].map((epoch) => ({
    epoch,
    edge: ZOOM_FLOOR,
    label: `epoch ${epoch}: ${belowValues
      .filter((v) => v.epoch === epoch)
      .map((v) => `${v.series} ${(v.value * 100).toFixed(1)}%`)
      .join(', ')}`,
  }));
  // Short enough for one line over the chart: the values themselves when there are one or two.
  const epochs = below.map((b) => b.epoch);
  const span = epochs.length > 1 ? `epochs ${epochs[0]}–${epochs[epochs.length - 1]}` : `epoch ${epochs[0]}`;
  const listed =
    belowValues.length <= 2
      ? below.map((b) => b.label).join('; ')
      : `${belowValues.length} values in ${span}`;
  const x = { ...epochAxis, scale: { domain: [1, Math.max(1, ...values.map((v) => v.epoch))] } };
  const y = {
    type: 'quantitative',
    title: 'accuracy',
    axis: { format: '%' },
    scale: { domain: [ZOOM_FLOOR, 1] },
  };
  const color = { field: 'series', type: 'nominal', title: null };
  return {
    ...base,
    title: belowValues.length
      ? { text: 'Accuracy, zoomed to 90–100%', subtitle: `▼ below the axis, not drawn — ${listed}` }
      : 'Accuracy, zoomed to 90–100%',
    layer: [
      {
        data: { values: inside },
        mark: { type: 'line', point: true, clip: true },
        encoding: { x, y: { ...y, field: 'value' }, color },
      },
      ...(below.length
        ? [
            {
              data: { values: below },
              mark: {
                type: 'point',
                shape: 'triangle-down',
                filled: true,
                size: 80,
                color: '#555',
                yOffset: -6,
              },
              encoding: { x, y: { ...y, field: 'edge' }, tooltip: { field: 'label' } },
            },
          ]
        : []),
      ...line98,
    ],
  };
}

/** Learning rate per epoch (warmup, then decay). */
export function learningRateChart(history: EpochRecord[]): VegaLiteSpec {
  return {
    ...base,
    title: 'Learning rate schedule',
    data: { values: history.filter((h) => h.epoch > 0).map((h) => ({ epoch: h.epoch, lr: h.learningRate })) },
    mark: { type: 'line', point: true, interpolate: 'step-after' },
    encoding: {
      x: epochAxis,
      y: { field: 'lr', type: 'quantitative', title: 'learning rate' },
    },
  };
}

/** Hidden-layer widths per epoch (growth), one line per layer. */
export function widthChart(history: EpochRecord[]): VegaLiteSpec {
  const values = history.flatMap((h) =>
    (h.hiddenSizes ?? [h.hiddenSize]).map((width, i) => ({
      epoch: h.epoch,
      layer: `hidden layer ${i + 1}`,
      width,
    })),
  );
  const layers = new Set(values.map((v) => v.layer)).size;
  return {
    ...base,
    title: layers > 1 ? 'Hidden layer widths (growth)' : 'Hidden layer width (growth)',
    data: { values },
    mark: { type: 'line', point: true, interpolate: 'step-after' },
    encoding: {
      x: epochAxis,
      y: { field: 'width', type: 'quantitative', title: 'units' },
      ...(layers > 1 ? { color: { field: 'layer', type: 'nominal', title: null } } : {}),
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

/** Confusion matrix heatmap with counts and a colour legend; classes by name when known. */
export function confusionChart(report: ClassificationReport, classNames?: string[]): VegaLiteSpec {
  const name = (c: number) => classNames?.[c] ?? String(c);
  const order = report.confusion.map((_, c) => name(c));
  const values = report.confusion.flatMap((row, t) =>
    row.map((count, p) => ({ true: name(t), predicted: name(p), count })),
  );
  return {
    ...base,
    width: 360,
    height: 360,
    title: 'Confusion matrix (test set)',
    data: { values },
    encoding: {
      x: { field: 'predicted', type: 'ordinal', sort: order, title: 'predicted class' },
      y: { field: 'true', type: 'ordinal', sort: order, title: 'true class' },
    },
    layer: [
      {
        mark: 'rect',
        encoding: {
          color: {
            field: 'count',
            type: 'quantitative',
            scale: { type: 'symlog', scheme: 'blues' },
            legend: { title: 'test images' },
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
