import { join } from 'node:path';
import { renderChart, type VegaLiteSpec, writeFileAtomic } from '@sprout/trainer/internals';
import type { TuneState } from './tuneState.js';

const pct = (v: number | undefined) => (v === undefined ? '' : `${(v * 100).toFixed(2)}%`);

/** Trials best first: the highest rung reached, then the score there. */
export function rankedTrials(state: TuneState) {
  return [...state.trials].sort((a, b) => {
    const [ra, rb] = [a.results.length, b.results.length];
    if (ra !== rb) return rb - ra;
    return (b.results[rb - 1]?.score ?? 0) - (a.results[ra - 1]?.score ?? 0) || a.id - b.id;
  });
}

/** The summary table (GitHub markdown): one row per trial, best first. */
export function summaryTable(state: TuneState): string {
  const keys = Object.keys(state.space.search);
  const head = ['rank', 'trial', ...state.rungs.map((r) => `dev @${r} ep`), ...keys];
  const rows = rankedTrials(state).map((t, i) => [
    String(i + 1),
    `${t.id}${state.chosen?.trial === t.id ? ' ★' : ''}${t.failure ? ' (failed)' : ''}`,
    ...state.rungs.map((_, k) => pct(t.results[k]?.score)),
    ...keys.map((k) => String(t.params[k])),
  ]);
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Dev accuracy per epoch of every trial, the chosen one in black on top, rungs as dashed rules. */
export function curvesChart(state: TuneState): VegaLiteSpec {
  const values = state.trials.flatMap((t) =>
    t.curve
      .filter((p): p is typeof p & { devAccuracy: number } => p.epoch > 0 && p.devAccuracy !== null)
      .map((p) => ({ epoch: p.epoch, dev: p.devAccuracy, trial: t.id, name: `trial ${t.id}` })),
  );
  const chosen = state.chosen?.trial;
  const low = Math.min(...values.map((v) => v.dev), 0.98);
  const x = { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1, format: 'd' }, title: 'epoch' };
  const y = {
    field: 'dev',
    type: 'quantitative',
    title: 'dev accuracy',
    scale: { domain: [Math.max(0, Math.floor(low * 100) / 100), 1] },
    axis: { format: '.1%' },
  };
  return {
    width: 560,
    height: 320,
    background: 'white',
    config: { font: 'DejaVu Sans, Liberation Sans, sans-serif' },
    title: {
      text: 'Dev accuracy of every trial (successive halving)',
      subtitle:
        chosen === undefined
          ? 'not finished'
          : `chosen on dev (black): trial ${chosen}, ${pct(state.chosen?.devAccuracy)}; dashed: rungs at ${state.rungs.join(', ')} epochs`,
    },
    layer: [
      {
        data: { values: state.rungs.map((epoch) => ({ epoch })) },
        mark: { type: 'rule', strokeDash: [4, 4], color: '#999' },
        encoding: { x: { field: 'epoch', type: 'quantitative' } },
      },
      {
        data: { values },
        mark: { type: 'line', point: { size: 12 }, strokeWidth: 1.2 },
        encoding: {
          x,
          y,
          color: { field: 'name', type: 'nominal', title: null, sort: { field: 'trial', op: 'min' } },
          detail: { field: 'trial' },
        },
      },
      {
        data: { values: values.filter((v) => v.trial === chosen) },
        mark: { type: 'line', color: 'black', strokeWidth: 3 },
        encoding: { x, y },
      },
    ],
  };
}

/** The report's paragraph on the test set: when the choice was made and when test was first read. */
export function testSetStatement(state: TuneState): string {
  const readByTrials = state.trials.filter((t) => t.curve.some((p) => p.testAccuracy !== null)).length;
  const lines = [
    `Trials trained with \`evaluateTest: false\`: their runs held no test image; ${readByTrials} of ${state.trials.length} trial curves carry a test accuracy.`,
  ];
  if (state.chosen)
    lines.push(`Chosen on dev accuracy only at ${state.chosen.at}: trial ${state.chosen.trial}.`);
  if (state.test)
    lines.push(
      `Test set read once, afterwards, at ${state.test.at}: ${pct(state.test.accuracy)} (${state.test.modelFile}).`,
    );
  return lines.join('\n');
}

/** Writes summary.md and curves.png (+ .svg) into the tune directory. */
export async function writeTuneReport(dir: string, state: TuneState): Promise<void> {
  const chosen = state.trials.find((t) => t.id === state.chosen?.trial);
  const md = [
    '# sprout tune',
    '',
    `Space: \`${state.spaceFile}\` — ${state.trials.length} trials, rungs at ${state.rungs.join(', ')} epochs (reduction ${state.space.reduction}).`,
    '',
    summaryTable(state),
    '',
    '## Test set',
    '',
    testSetStatement(state),
    '',
    ...(chosen
      ? [
          '## Chosen configuration',
          '',
          '```json',
          JSON.stringify({ ...state.space.base, ...chosen.params }, null, 2),
          '```',
          '',
        ]
      : []),
    '![dev accuracy curves](curves.png)',
    '',
  ].join('\n');
  writeFileAtomic(join(dir, 'summary.md'), md);
  const { svg, png } = await renderChart(curvesChart(state));
  writeFileAtomic(join(dir, 'curves.svg'), svg);
  writeFileAtomic(join(dir, 'curves.png'), png);
}
