import { join } from 'node:path';
import { type ImageDataset, renderDigitGridSvg } from '@sprout/data-mnist';
import { evaluate, loadModel, type ModelMetadata, type Sequential, saveModel } from '@sprout/layers';
import type { MemoryWatch } from '@sprout/memwatch';
import type { Backend } from '@sprout/tensor';
import type { TrainConfig } from './config.js';
import type { TrainHooks } from './events.js';
import type { EpochRecord, TrainResult } from './history.js';
import { type ClassificationReport, classificationReport } from './metrics.js';
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
import { renderChart } from './report/render.js';
import { reportHtml } from './report/reportHtml.js';
import { writeFileAtomic } from './runFiles.js';
import type { ChartName } from './runOwnership.js';
import type { Session } from './session.js';

/**
 * The end of a run: restore the best weights (by dev accuracy), evaluate on the test set, and
 * write model.sprout, history.json, metrics.json, memory.{json,csv}, plots (SVG+PNG) and report.html,
 * each atomically (a failure names the file and leaves the earlier version in place).
 */
export async function writeRunOutputs(args: {
  session: Session;
  backend: Backend;
  config: TrainConfig;
  data: ImageDataset;
  history: EpochRecord[];
  bestModel: Uint8Array | null;
  memory: MemoryWatch;
  interrupted: boolean;
  stoppedEarly: boolean;
  wallSeconds: number;
  backendReport: string;
  hooks: TrainHooks;
  /** Stored in model.sprout: input size, classes, dataset identity. */
  modelMetadata: ModelMetadata;
}): Promise<TrainResult> {
  const { session, backend, config, data, history, memory, hooks } = args;
  const out = config.outDir;
  const trained = history.filter((h) => h.epoch > 0);
  const bestDev = trained.reduce((best, h) => Math.max(best, h.devAccuracy), 0);
  const model: Sequential = args.bestModel ? loadModel(backend, args.bestModel, 'best model') : session.model;
  const pixels = data.test.rows * data.test.cols;
  const test = evaluate(model, data.test.images, data.test.labels, data.test.count, pixels);
  const report = classificationReport(data.test.labels, test.predictions, data.classes);
  const reached = history.find((h) => h.testAccuracy >= 0.98);
  const result: TrainResult = {
    testAccuracy: test.accuracy,
    bestDevAccuracy: bestDev,
    epochs: history[history.length - 1]?.epoch ?? 0,
    wallSeconds: args.wallSeconds,
    secondsTo98: reached ? reached.elapsed : null,
    peakRssMB: Math.max(memory.peakRss, process.memoryUsage.rss()) / 2 ** 20,
    backend: backend.description,
    hiddenSize: model.widths[1],
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
      `${JSON.stringify({ ...result, config, classification: report }, null, 2)}\n`,
    );
  }
  writeFileAtomic(join(out, 'history.json'), `${JSON.stringify(history, null, 2)}\n`);
  writeFileAtomic(join(out, 'memory.json'), JSON.stringify(memory.toJSON()));
  writeFileAtomic(join(out, 'memory.csv'), memory.toCSV());
  if (config.report && !args.interrupted) {
    await writeReport(out, {
      result,
      report,
      history,
      memory,
      data,
      predictions: test.predictions,
      backendReport: args.backendReport,
    });
    hooks.onMessage?.(`report: ${join(out, 'report.html')}`);
  }
  if (model !== session.model) model.dispose();
  return result;
}

async function writeReport(
  out: string,
  r: {
    result: TrainResult;
    report: ClassificationReport;
    history: EpochRecord[];
    memory: MemoryWatch;
    data: ImageDataset;
    predictions: Int32Array;
    backendReport: string;
  },
): Promise<void> {
  const t0 = r.memory.timeline[0]?.time ?? 0;
  const samples = r.memory.timeline.map((e) => ({
    seconds: (e.time - t0) / 1000,
    rssMB: e.rss / 2 ** 20,
    heapMB: e.heapUsed / 2 ** 20,
    phase: e.phase,
  }));
  // Typed by CHART_NAMES: a plot written here is one that --overwrite knows to set aside.
  const specs: readonly (readonly [ChartName, string, VegaLiteSpec])[] = [
    ['cost', 'Cost curves', costChart(r.history)],
    ['accuracy', 'Accuracy', accuracyChart(r.history)],
    ['accuracy-zoom', 'Accuracy (zoom)', accuracyZoomChart(r.history)],
    ['learning-rate', 'Learning rate', learningRateChart(r.history)],
    ['hidden-width', 'Hidden width', widthChart(r.history)],
    ['memory', 'Memory', memoryChart(samples)],
    ['confusion-matrix', 'Confusion matrix', confusionChart(r.report)],
  ];
  const charts: { title: string; svg: string }[] = [];
  for (const [name, title, spec] of specs) {
    const { svg, png } = await renderChart(spec);
    writeFileAtomic(join(out, `${name}.svg`), svg);
    writeFileAtomic(join(out, `${name}.png`), png);
    charts.push({ title, svg });
  }
  const { test } = r.data;
  const px = test.rows * test.cols;
  const wrong: number[] = [];
  const right: number[] = [];
  for (let i = 0; i < test.count && (wrong.length < 30 || right.length < 30); i++) {
    (r.predictions[i] === test.labels[i] ? right : wrong).push(i);
  }
  const picks = [...wrong.slice(0, 30), ...right.slice(0, 30)];
  const cells = picks.map((i) => ({
    image: test.images.subarray(i * px, (i + 1) * px),
    caption:
      r.predictions[i] === test.labels[i]
        ? `${test.labels[i]}`
        : `${r.predictions[i]} (true ${test.labels[i]})`,
    highlight: r.predictions[i] !== test.labels[i],
  }));
  const samplesSvg = renderDigitGridSvg(cells, { rows: test.rows, cols: test.cols, columns: 10, zoom: 2 });
  const { Resvg } = await import('@resvg/resvg-js');
  const samplesPng = Buffer.from(new Resvg(samplesSvg, { font: { loadSystemFonts: true } }).render().asPng());
  const predictions: ChartName = 'predictions';
  writeFileAtomic(join(out, `${predictions}.svg`), samplesSvg);
  writeFileAtomic(join(out, `${predictions}.png`), samplesPng);
  writeFileAtomic(
    join(out, 'report.html'),
    reportHtml({ result: r.result, report: r.report, charts, samplesPng, backendReport: r.backendReport }),
  );
}
