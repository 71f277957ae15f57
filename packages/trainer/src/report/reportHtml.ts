import type { TrainConfig } from '../config.js';
import type { RegressionMetrics, TrainResult } from '../history.js';
import type { ClassificationReport } from '../metrics.js';
import { SPROUT_VERSION } from '../version.js';

const pct = (v: number | null) => (v === null ? 'not evaluated' : `${(v * 100).toFixed(2)}%`);

/**
 * One self-contained HTML page: summary, what produced it (configuration, seed, dataset path and
 * content hash, Sprout version, backend), charts (inline SVG), per-class metrics, sample predictions.
 */
export function reportHtml(args: {
  result: TrainResult;
  /** Per-class metrics; null for a regression. */
  report: ClassificationReport | null;
  /** A regression's test metrics (in the target's units). */
  regression?: RegressionMetrics;
  charts: { title: string; svg: string }[];
  /** The sample predictions' grid (images only). */
  samplesPng: Buffer | null;
  backendReport: string;
  config: TrainConfig;
  dataset?: { source: string; sha256: string };
  classNames?: string[];
}): string {
  const { result, report, charts, samplesPng, backendReport, config, dataset, classNames, regression } = args;
  const rows = (report?.perClass ?? [])
    .map(
      (c) =>
        `<tr><td>${escapeHtml(classNames?.[c.label] ?? String(c.label))}</td><td>${pct(c.precision)}</td><td>${pct(c.recall)}</td><td>${pct(c.f1)}</td><td>${c.support}</td></tr>`,
    )
    .join('');
  const avg = (name: string, a: { precision: number; recall: number; f1: number }) =>
    `<tr><th>${name}</th><td>${pct(a.precision)}</td><td>${pct(a.recall)}</td><td>${pct(a.f1)}</td><td>${(report?.perClass ?? []).reduce((s, c) => s + c.support, 0)}</td></tr>`;
  const g = (v: number) => String(Number(v.toPrecision(4)));
  // A run without a dev split (monitor train-loss) has no dev row: every training row trained.
  const dev = result.bestDevAccuracy;
  const scores = regression
    ? `<tr><td>test R²</td><td><b>${regression.r2.toFixed(4)}</b></td></tr>
<tr><td>test MAE</td><td>${g(regression.mae)}</td></tr>
<tr><td>test MSE</td><td>${g(regression.mse)}</td></tr>${dev === null ? '' : `\n<tr><td>best dev R²</td><td>${dev.toFixed(4)}</td></tr>`}`
    : `<tr><td>test accuracy</td><td><b>${pct(result.testAccuracy)}</b></td></tr>${dev === null ? '' : `\n<tr><td>best dev accuracy</td><td>${pct(dev)}</td></tr>`}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sprout run report</title>
<style>
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}
.grid{display:flex;flex-wrap:wrap;gap:16px}.grid figure{margin:0}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:3px 10px;text-align:right}
.summary td:first-child{text-align:left}
</style></head><body>
<h1>Sprout run report</h1>
<table class="summary">
${scores}
<tr><td>epochs</td><td>${result.epochs}${result.stoppedEarly ? ' (early stopping)' : ''}</td></tr>
<tr><td>wall time</td><td>${result.wallSeconds.toFixed(1)} s</td></tr>
${regression ? '' : `<tr><td>time to 98% test accuracy</td><td>${result.secondsTo98 === null ? 'not reached' : `${result.secondsTo98.toFixed(1)} s`}</td></tr>`}
<tr><td>peak RSS</td><td>${result.peakRssMB.toFixed(0)} MiB</td></tr>
<tr><td>hidden ${result.hiddenSizes.length > 1 ? 'widths' : 'width'}</td><td>${result.hiddenSizes.join(' – ')}</td></tr>
<tr><td>backend</td><td>${escapeHtml(backendReport)}</td></tr>
<tr><td>seed</td><td>${config.seed}</td></tr>
<tr><td>dataset</td><td>${escapeHtml(dataset?.source ?? config.dataDir ?? 'bundled MNIST')}</td></tr>
<tr><td>dataset SHA-256</td><td><code>${escapeHtml(dataset?.sha256 ?? 'unknown')}</code></td></tr>
<tr><td>Sprout</td><td>${escapeHtml(SPROUT_VERSION)}</td></tr>
</table>
<h2>Configuration</h2>
<table class="summary">${Object.entries(config)
    .map(
      ([key, value]) =>
        `<tr><td>${key}</td><td>${escapeHtml(value === undefined ? '—' : JSON.stringify(value))}</td></tr>`,
    )
    .join('')}</table>
<h2>Training</h2>
<div class="grid">${charts.map((c) => `<figure aria-label="${escapeHtml(c.title)}">${c.svg}</figure>`).join('\n')}</div>
${
  report
    ? `<h2>Per-class metrics (test set)</h2>
<table><tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>${rows}
${avg('macro avg', report.macro)}${avg('weighted avg', report.weighted)}</table>`
    : ''
}
${
  samplesPng
    ? `<h2>Sample predictions (wrong ones framed in red: the predicted class, then the true one in brackets)</h2>
<img alt="sample predictions" src="data:image/png;base64,${samplesPng.toString('base64')}">
`
    : ''
}</body></html>
`;
}

function escapeHtml(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
}
