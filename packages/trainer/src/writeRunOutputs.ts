import { join } from 'node:path';
import { type DigitCell, type ImageDataset, renderDigitGridSvg } from '@sprout/data-mnist';
import { loadModel, type ModelMetadata, type Sequential, saveModel } from '@sprout/layers';
import type { MemoryWatch } from '@sprout/memwatch';
import type { Backend } from '@sprout/tensor';
import type { TrainConfig } from './config.js';
import { evaluateExamples, type FeatureRows, isFeatureRows, type RegressionEvaluation } from './examples.js';
import type { EpochRecord, RegressionMetrics, TrainResult } from './history.js';
import { type ClassificationReport, classificationReport } from './metrics.js';
import { keptEpoch } from './monitor.js';
import { collectGarbage } from './releaseMemory.js';
import {
  accuracyChart,
  accuracyZoomChart,
  confusionChart,
  costChart,
  learningRateChart,
  memoryChart,
  type VegaLiteSpec,
  widthChart,
} from './report/charts.js';
import { PNG_ZOOM, renderChart } from './report/render.js';
import { reportHtml } from './report/reportHtml.js';
import { writeFileAtomic } from './runFiles.js';
import type { ChartName } from './runOwnership.js';
import type { Session } from './session.js';

/** What the report needs, and nothing of the training data: see {@link writeReport}. */
export interface ReportJob {
  out: string;
  result: TrainResult;
  /** Per-class metrics; null for a regression (see `regression`). */
  report: ClassificationReport | null;
  /** A regression's test R², MAE and MSE. */
  regression?: RegressionMetrics;
  history: EpochRecord[];
  memorySamples: { seconds: number; rssMB: number; heapMB: number; phase: string }[];
  /** The digits shown (copies: 30 misclassified, then 30 right). */
  cells: DigitCell[];
  rows: number;
  cols: number;
  backendReport: string;
  /** The run's configuration, the dataset it learned (path and content hash) and class names. */
  config: TrainConfig;
  dataset?: ModelMetadata['dataset'];
  classNames?: string[];
}

/**
 * The end of a run: restore the best weights (by the monitored figure), evaluate on the test set, and
 * write model.sprout, history.json, metrics.json and memory.{json,csv}, each atomically (a failure
 * names the file and leaves the earlier version in place). Returns the result and, when the run
 * asks for one, what its report needs: the caller renders it with {@link writeReport} once the
 * training data, the backend and its worker are gone, so the report does not add to the run's
 * peak memory.
 */
export async function writeRunOutputs(args: {
  session: Session;
  backend: Backend;
  config: TrainConfig;
  data: OutputData;
  history: EpochRecord[];
  bestModel: Uint8Array | null;
  memory: MemoryWatch;
  interrupted: boolean;
  stoppedEarly: boolean;
  wallSeconds: number;
  backendReport: string;
  /** Stored in model.sprout: input size, classes, dataset identity. */
  modelMetadata: ModelMetadata;
}): Promise<{ result: TrainResult; reportJob: ReportJob | null }> {
  const { session, backend, config, data, history, memory } = args;
  const out = config.outDir;
  // The dev accuracy of the weights kept: the best epoch by what early stopping followed (none
  // without a dev split; 0 before the first epoch ended).
  const bestDev = config.monitor === 'train-loss' ? null : (keptEpoch(config, history)?.devAccuracy ?? 0);
  const model: Sequential = args.bestModel ? loadModel(backend, args.bestModel, 'best model') : session.model;
  const test = config.evaluateTest ? evaluateExamples(model, data.test, model.widths[0]) : null;
  const regression = args.modelMetadata.target;
  const testRegression =
    test && regression && isFeatureRows(data.test) && data.test.targets
      ? regressionMetrics(test as RegressionEvaluation, data.test.targets, regression)
      : undefined;
  const report =
    test && !regression ? classificationReport(data.test.labels, test.predictions, data.classes) : null;
  const reached = history.find((h) => h.testAccuracy !== null && h.testAccuracy >= 0.98);
  const result: TrainResult = {
    testAccuracy: regression ? null : (test?.accuracy ?? null),
    ...(testRegression ? { testRegression } : {}),
    bestDevAccuracy: bestDev,
    epochs: history[history.length - 1]?.epoch ?? 0,
    wallSeconds: args.wallSeconds,
    secondsTo98: reached ? reached.elapsed : null,
    peakRssMB: Math.max(memory.peakRss, process.memoryUsage.rss()) / 2 ** 20,
    backend: backend.description,
    hiddenSize: model.widths[1],
    hiddenSizes: model.widths.slice(1, -1),
    outDir: out,
    stoppedEarly: args.stoppedEarly,
    interrupted: args.interrupted,
    // Interrupted, the best weights so far are still complete ones: model.sprout stays in step.
    modelSaved: !args.interrupted || args.bestModel !== null,
  };
  if (result.modelSaved) {
    writeFileAtomic(join(out, 'model.sprout'), saveModel(model, args.modelMetadata));
    writeFileAtomic(
      join(out, 'metrics.json'),
      `${JSON.stringify({ ...result, config, ...(report ? { classification: report } : {}) }, null, 2)}\n`,
    );
  }
  writeFileAtomic(join(out, 'history.json'), `${JSON.stringify(history, null, 2)}\n`);
  writeFileAtomic(join(out, 'memory.json'), JSON.stringify(memory.toJSON()));
  writeFileAtomic(join(out, 'memory.csv'), memory.toCSV());
  const reportJob =
    config.report && !args.interrupted && test && (report || testRegression)
      ? {
          ...reportJobOf(out, result, report, history, memory, data, test.predictions, args.backendReport),
          config,
          dataset: args.modelMetadata.dataset,
          classNames: data.classNames,
          ...(testRegression ? { regression: testRegression } : {}),
        }
      : null;
  if (model !== session.model) model.dispose();
  return { result, reportJob };
}

/** A regression's test metrics in the target's units, from standardised predictions and targets. */
export function regressionMetrics(
  evaluation: RegressionEvaluation,
  targets: ArrayLike<number>,
  target: { mean: number; std: number },
): RegressionMetrics {
  let absolute = 0;
  for (let i = 0; i < evaluation.values.length; i++) absolute += Math.abs(evaluation.values[i] - targets[i]);
  const n = Math.max(1, evaluation.values.length);
  return {
    mse: evaluation.loss * target.std ** 2,
    mae: (absolute / n) * target.std,
    r2: evaluation.accuracy,
  };
}

/** The test set (images or feature rows) and classes of a run. */
type OutputData = Pick<ImageDataset, 'classes' | 'classNames'> & { test: ImageDataset['test'] | FeatureRows };

function reportJobOf(
  out: string,
  result: TrainResult,
  report: ClassificationReport | null,
  history: EpochRecord[],
  memory: MemoryWatch,
  data: OutputData,
  predictions: Int32Array,
  backendReport: string,
): Omit<ReportJob, 'config' | 'dataset' | 'classNames'> {
  const t0 = memory.timeline[0]?.time ?? 0;
  const memorySamples = memory.timeline.map((e) => ({
    seconds: (e.time - t0) / 1000,
    rssMB: e.rss / 2 ** 20,
    heapMB: e.heapUsed / 2 ** 20,
    phase: e.phase,
  }));
  const { test } = data;
  // Feature rows have no picture to show: the report has its tables and plots.
  if (isFeatureRows(test))
    return { out, result, report, history, memorySamples, cells: [], rows: 0, cols: 0, backendReport };
  const px = test.rows * test.cols;
  const wrong: number[] = [];
  const right: number[] = [];
  for (let i = 0; i < test.count && (wrong.length < 30 || right.length < 30); i++) {
    (predictions[i] === test.labels[i] ? right : wrong).push(i);
  }
  const name = (c: number) => data.classNames?.[c] ?? String(c);
  const cells = [...wrong.slice(0, 30), ...right.slice(0, 30)].map((i) => ({
    image: test.images.slice(i * px, (i + 1) * px),
    // Digits fit "3 (true 5)" on one line; class names get a line each: "coat", "(shirt)".
    caption:
      predictions[i] === test.labels[i]
        ? name(test.labels[i])
        : data.classNames
          ? `${name(predictions[i])}\n(${name(test.labels[i])})`
          : `${name(predictions[i])} (true ${name(test.labels[i])})`,
    highlight: predictions[i] !== test.labels[i],
  }));
  return {
    out,
    result,
    report,
    history,
    memorySamples,
    cells,
    rows: test.rows,
    cols: test.cols,
    backendReport,
  };
}

/** The grid of sample predictions (SVG + PNG); its PNG for the report. */
async function writeSamples(r: ReportJob): Promise<Buffer> {
  const samplesSvg = renderDigitGridSvg(r.cells, { rows: r.rows, cols: r.cols, columns: 10, zoom: 2 });
  const { Resvg } = await import('@resvg/resvg-js');
  const samplesPng = Buffer.from(
    new Resvg(samplesSvg, { fitTo: { mode: 'zoom', value: PNG_ZOOM }, font: { loadSystemFonts: true } })
      .render()
      .asPng(),
  );
  const predictions: ChartName = 'predictions';
  writeFileAtomic(join(r.out, `${predictions}.svg`), samplesSvg);
  writeFileAtomic(join(r.out, `${predictions}.png`), samplesPng);
  return samplesPng;
}

/** Plots (SVG + PNG) and report.html, each written atomically. */
export async function writeReport(r: ReportJob): Promise<void> {
  const { out } = r;
  const samples = r.memorySamples;
  // Typed by CHART_NAMES: a plot written here is one that --overwrite knows to set aside.
  // A regression has no accuracy or classes: its charts are the cost, schedule, width and memory.
  const { report } = r;
  const specs: readonly (readonly [ChartName, string, VegaLiteSpec])[] = [
    ['cost', 'Cost curves', costChart(r.history)],
    ...(report
      ? ([
          ['accuracy', 'Accuracy', accuracyChart(r.history)],
          ['accuracy-zoom', 'Accuracy (zoom)', accuracyZoomChart(r.history)],
        ] as const)
      : []),
    ['learning-rate', 'Learning rate', learningRateChart(r.history)],
    ['hidden-width', 'Hidden width', widthChart(r.history)],
    ['memory', 'Memory', memoryChart(samples)],
    ...(report
      ? ([['confusion-matrix', 'Confusion matrix', confusionChart(report, r.classNames)]] as const)
      : []),
  ];
  const charts: { title: string; svg: string }[] = [];
  for (const [name, title, spec] of specs) {
    const { svg, png } = await renderChart(spec);
    writeFileAtomic(join(out, `${name}.svg`), svg);
    writeFileAtomic(join(out, `${name}.png`), png);
    charts.push({ title, svg });
    // Each chart's vega view and raster die here: collected now, the next chart reuses their
    // memory instead of adding to it (7 charts lifted a run's peak RSS by ~90 MB without it).
    collectGarbage();
  }
  const samplesPng = r.cells.length > 0 ? await writeSamples(r) : null;
  writeFileAtomic(
    join(out, 'report.html'),
    reportHtml({
      result: r.result,
      report: r.report,
      charts,
      samplesPng,
      backendReport: r.backendReport,
      config: r.config,
      dataset: r.dataset,
      classNames: r.classNames,
      regression: r.regression,
    }),
  );
}
