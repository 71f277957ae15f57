import type { BatchProgress, EpochRecord, TrainHooks } from '@sprout/trainer';
import { SingleBar } from 'cli-progress';

const pct = (v: number | null) => (v === null ? '   —  ' : `${(v * 100).toFixed(2)}%`);

/** Progress as a live bar per epoch on a terminal, plain lines otherwise (CI logs). */
export function progressHooks(options: {
  tty: boolean;
  quiet: boolean;
  log: (line: string) => void;
}): TrainHooks & { stopBar(): void } {
  let bar: SingleBar | null = null;
  let barEpoch = -1;
  let lastPlainQuarter = -1;
  const stopBar = () => {
    bar?.stop();
    bar = null;
  };
  return {
    stopBar,
    onStart(info) {
      if (options.quiet) return;
      options.log(info.backendReport);
      options.log(
        info.resumedFromEpoch === null
          ? `training on ${info.trainSize} images → ${info.config.outDir}`
          : `continuing from epoch ${info.resumedFromEpoch} → ${info.config.outDir}`,
      );
    },
    onBatch(p: BatchProgress) {
      if (options.quiet) return;
      const payload = {
        sps: Math.round(p.samplesPerSecond).toLocaleString('en-US'),
        loss: p.loss.toFixed(4),
        acc: pct(p.accuracy),
        lr: p.learningRate.toExponential(1),
        width: p.hiddenSize,
        mem: p.rssMB.toFixed(0),
        eta: p.etaSeconds.toFixed(1),
        epoch: p.epoch,
        epochs: p.epochs,
      };
      if (options.tty) {
        if (barEpoch !== p.epoch) {
          stopBar();
          bar = new SingleBar({
            format:
              'epoch {epoch}/{epochs} [{bar}] {value}/{total} | {sps} samples/s | loss {loss} | acc {acc} | lr {lr} | width {width} | {mem} MB | ETA {eta}s',
            barsize: 24,
            hideCursor: true,
            clearOnComplete: true,
          });
          bar.start(p.batches, 0, payload);
          barEpoch = p.epoch;
        }
        bar?.update(p.batch, payload);
      } else {
        const quarter = Math.floor((p.batch / p.batches) * 4);
        if (quarter !== lastPlainQuarter && quarter > 0 && quarter < 4) {
          lastPlainQuarter = quarter;
          options.log(
            `  epoch ${p.epoch} ${quarter * 25}%: ${payload.sps} samples/s, loss ${payload.loss}, acc ${payload.acc}`,
          );
        }
      }
    },
    onEpoch(r: EpochRecord) {
      stopBar();
      lastPlainQuarter = -1;
      if (options.quiet) return;
      options.log(
        r.epoch === 0
          ? `epoch 0 (untrained): dev ${pct(r.devAccuracy)}, test ${pct(r.testAccuracy)}`
          : `epoch ${r.epoch}: train loss ${r.trainLoss?.toFixed(4)} acc ${pct(r.trainAccuracy)} | dev loss ${r.devLoss.toFixed(4)} acc ${pct(r.devAccuracy)} | test ${pct(r.testAccuracy)} | lr ${r.learningRate.toExponential(1)} | width ${r.hiddenSize} | ${r.seconds.toFixed(1)}s, ${Math.round(r.samplesPerSecond).toLocaleString('en-US')} samples/s | ${r.rssMB.toFixed(0)} MB | ${r.elapsed.toFixed(1)}s total`,
      );
    },
    onMessage(line) {
      stopBar();
      if (!options.quiet) options.log(line);
    },
  };
}
