/** The values one progress line shows. */
export interface ProgressValues {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  samplesPerSecond: number;
  loss: number;
  /** Running training accuracy, or null before the first measurement; undefined: none (a regression). */
  accuracy?: number | null;
  learningRate: number;
  hiddenSize: number;
  /** Every hidden layer's width (one layer: [hiddenSize]). */
  hiddenSizes?: number[];
  rssMB: number;
  etaSeconds: number;
}

const MIN_BAR = 10;
const MAX_BAR = 24;

/**
 * One live progress line that fits in `columns` characters: the epoch, a bar and the batch count
 * always; then as many of loss, accuracy, ETA, samples/s, learning rate, width and memory as fit,
 * in that order of importance (shown in a fixed order). Terminals wrap a line that reaches the last
 * column, so the line stays one short of it.
 */
export function progressLine(v: ProgressValues, columns: number): string {
  const budget = Math.max(1, columns - 1);
  const batches = String(v.batches);
  const head = (bar: number) => {
    const filled = v.batches > 0 ? Math.round((Math.min(v.batch, v.batches) / v.batches) * bar) : 0;
    return `epoch ${v.epoch}/${v.epochs} [${'█'.repeat(filled)}${'░'.repeat(bar - filled)}] ${String(v.batch).padStart(batches.length)}/${batches}`;
  };
  const fields: { rank: number; text: string }[] = [
    { rank: 3, text: `${Math.round(v.samplesPerSecond).toLocaleString('en-US')} samples/s` },
    { rank: 0, text: `loss ${v.loss.toFixed(4)}` },
    ...(v.accuracy === undefined
      ? []
      : [{ rank: 1, text: `acc ${v.accuracy === null ? '—' : `${(v.accuracy * 100).toFixed(2)}%`}` }]),
    { rank: 4, text: `lr ${v.learningRate.toExponential(1)}` },
    { rank: 5, text: `width ${(v.hiddenSizes ?? [v.hiddenSize]).join('-')}` },
    { rank: 6, text: `${v.rssMB.toFixed(0)} MB` },
    { rank: 2, text: `ETA ${v.etaSeconds.toFixed(1)}s` },
  ];
  // The bar's width depends on the terminal only, so it does not jump as numbers change width.
  const bar = columns >= 100 ? MAX_BAR : MIN_BAR;
  const byRank = [...fields].sort((a, b) => a.rank - b.rank);
  let shown: typeof fields = [];
  for (let n = byRank.length; n >= 0; n--) {
    const keep = new Set(byRank.slice(0, n));
    shown = fields.filter((f) => keep.has(f));
    if (lineLength(head(bar), shown) <= budget) break;
  }
  const line = [head(bar), ...shown.map((f) => f.text)].join(' | ');
  // Narrower than the epoch and a minimal bar: cut, rather than wrap onto a second line.
  return line.length <= budget ? line : line.slice(0, budget);
}

function lineLength(head: string, shown: { text: string }[]): number {
  return [head, ...shown.map((f) => f.text)].join(' | ').length;
}
