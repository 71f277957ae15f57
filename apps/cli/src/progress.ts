import type { BatchProgress, EpochRecord, TrainHooks } from '@sprout/trainer';
import { SingleBar } from 'cli-progress';
import { progressLine } from './progressLine.js';

const pct = (v: number | null) => (v === null ? '   —  ' : `${(v * 100).toFixed(2)}%`);

/**
 * Progress as a live bar per epoch when `stream` is a terminal (as wide as the terminal), plain
 * lines through `log` otherwise (CI logs, pipes).
 */
export function progressHooks(options: {
  stream: NodeJS.WriteStream;
  quiet: boolean;
  log: (line: string) => void;
}): TrainHooks & { stopBar(): void } {
  const tty = Boolean(options.stream.isTTY);
  let bar: SingleBar | null = null;
  let barEpoch = -1;
  let lastPlainQuarter = -1;
  let current: BatchProgress | null = null;
  // A regression's "accuracy" is R² (no train accuracy); feature rows are rows, not images.
  let regression = false;
  let unit = 'images';
  const stopBar = () => {
    bar?.stop();
    bar = null;
  };
  return {
    stopBar,
    onStart(info) {
      regression = info.config.task === 'regression';
      unit = info.config.csv !== undefined || info.config.task === 'regression' ? 'rows' : 'images';
      if (options.quiet) return;
      options.log(info.backendReport);
      const augmentation = `augmentation ${info.config.augment ? 'on' : 'off'}`;
      options.log(
        info.resumedFromEpoch === null
          ? `training on ${info.trainSize} ${unit}, ${augmentation} → ${info.config.outDir}`
          : `continuing from epoch ${info.resumedFromEpoch}, ${augmentation} → ${info.config.outDir}`,
      );
    },
    onBatch(p: BatchProgress) {
      if (options.quiet) return;
      if (tty) {
        current = p;
        if (barEpoch !== p.epoch) {
          stopBar();
          bar = new SingleBar({
            stream: options.stream,
            // Read the width on every redraw: the terminal may be resized mid-run.
            format: () =>
              current
                ? progressLine(
                    regression ? { ...current, accuracy: undefined } : current,
                    options.stream.columns || 80,
                  )
                : '',
            hideCursor: true,
            clearOnComplete: true,
          });
          bar.start(p.batches, 0);
          barEpoch = p.epoch;
        }
        bar?.update(p.batch);
      } else {
        const quarter = Math.floor((p.batch / p.batches) * 4);
        if (quarter !== lastPlainQuarter && quarter > 0 && quarter < 4) {
          lastPlainQuarter = quarter;
          options.log(
            `  epoch ${p.epoch} ${quarter * 25}%: ${Math.round(p.samplesPerSecond).toLocaleString('en-US')} samples/s, loss ${p.loss.toFixed(4)}${regression ? '' : `, acc ${pct(p.accuracy)}`}`,
          );
        }
      }
    },
    onEpoch(r: EpochRecord) {
      stopBar();
      lastPlainQuarter = -1;
      if (options.quiet) return;
      // A run without a dev split (--monitor train-loss) has no dev figures: `dev —`.
      const dev = (figures: (loss: number, accuracy: number) => string) =>
        r.devLoss === null || r.devAccuracy === null ? 'dev —' : figures(r.devLoss, r.devAccuracy);
      options.log(
        regression
          ? `epoch ${r.epoch}${r.epoch === 0 ? ' (untrained)' : `: train loss ${r.trainLoss?.toFixed(4)}`} | ${dev((loss, r2) => `dev loss ${loss.toFixed(4)} R² ${r2.toFixed(4)}`)} | test R² ${r.testAccuracy === null ? '—' : r.testAccuracy.toFixed(4)}`
          : r.epoch === 0
            ? `epoch 0 (untrained): ${dev((_, accuracy) => `dev ${pct(accuracy)}`)}, test ${pct(r.testAccuracy)}`
            : `epoch ${r.epoch}: train loss ${r.trainLoss?.toFixed(4)} acc ${pct(r.trainAccuracy)} | ${dev((loss, accuracy) => `dev loss ${loss.toFixed(4)} acc ${pct(accuracy)}`)} | test ${pct(r.testAccuracy)} | lr ${r.learningRate.toExponential(1)} | width ${(r.hiddenSizes ?? [r.hiddenSize]).join('-')} | ${r.seconds.toFixed(1)}s, ${Math.round(r.samplesPerSecond).toLocaleString('en-US')} samples/s | ${r.rssMB.toFixed(0)} MB | ${r.elapsed.toFixed(1)}s total`,
      );
    },
    onMessage(line) {
      stopBar();
      if (!options.quiet) options.log(line);
    },
  };
}
