import { Batches, type LabeledImages } from '@sprout/data-mnist';
import { SoftmaxCrossEntropy } from '@sprout/layers';
import type { MemoryWatch } from '@sprout/memwatch';
import { argmaxRows, SparseRows } from '@sprout/tensor';
import type { TrainConfig } from './config.js';
import type { TrainHooks } from './events.js';
import type { Session } from './session.js';

/** Running sums of an epoch (kept in checkpoints when a run is interrupted mid-epoch). */
export interface EpochSums {
  loss: number;
  correct: number;
  seen: number;
  seconds: number;
}

/** How an epoch ended. */
export interface EpochOutcome {
  sums: EpochSums;
  /** Batches done (all of them unless interrupted). */
  batchesDone: number;
  interrupted: boolean;
  batchSize: number;
}

/** How often the loop samples memory and lets signal handlers run (a few batches' time). */
const YIELD_EVERY_MS = 25;

/**
 * One epoch of training: shuffled (optionally augmented) batches, forward, fused loss, backward
 * into the gradient buffers — `accumulate` micro-batches per Adam step — with progress reports.
 * Resumes mid-epoch by regenerating and skipping the first `skip` batches (same data, same order).
 */
export async function runEpoch(args: {
  session: Session;
  config: TrainConfig;
  train: LabeledImages;
  trainIndex: Int32Array;
  epoch: number;
  learningRate: number;
  skip: number;
  sums: EpochSums;
  batchSize: number;
  memory: MemoryWatch;
  hooks: TrainHooks;
}): Promise<EpochOutcome> {
  const { session, config, train, trainIndex, epoch, learningRate, memory, hooks } = args;
  const { model, optimizer } = session;
  const backend = model.denseLayers[0].backend;
  const pixels = train.rows * train.cols;
  const x = new SparseRows(backend);
  const loss = new SoftmaxCrossEntropy();
  const k = config.accumulate;
  let batchSize = args.batchSize;
  // Memory advice halves the batch when memory is tight and grows it back towards the configured size.
  const nextBatchSize = () => {
    batchSize = memory.adviseBatchSize(batchSize, { min: 8, max: config.batchSize });
    return batchSize;
  };
  const batches = new Batches(train, trainIndex, {
    batchSize: nextBatchSize,
    seed: config.seed,
    augment: config.augment ? {} : false,
  });
  const estimatedBatches = Math.ceil(trainIndex.length / config.batchSize);
  const sums = { ...args.sums };
  const started = performance.now() - sums.seconds * 1000;
  let done = 0;
  let pending = 0;
  let lastReport = 0;
  // Once at every epoch's start too, so that epochs shorter than YIELD_EVERY_MS still let it in.
  await new Promise<void>((resolve) => setImmediate(resolve));
  let lastYield = performance.now();
  try {
    for (const batch of batches.epoch(epoch)) {
      if (done < args.skip) {
        done++;
        continue;
      }
      x.set(batch.images, batch.size, pixels);
      const logits = model.forward(x);
      const { value, grad } = loss.compute(logits, batch.labels, 1 / k);
      const predicted = argmaxRows(logits);
      model.backward(grad, { accumulate: pending > 0 });
      if (++pending === k) {
        optimizer.step(learningRate);
        pending = 0;
      }
      for (let i = 0; i < batch.size; i++) if (predicted[i] === batch.labels[i]) sums.correct++;
      sums.loss += value * batch.size;
      sums.seen += batch.size;
      done++;
      // The loop is synchronous, so timers cannot fire: sample memory here. Throws a typed
      // MemoryLimitExceededError at the critical level; the last checkpoint stays intact.
      // By time, not by batch count: an epoch of a few batches must still let Ctrl-C in.
      const now = performance.now();
      if (now - lastYield >= YIELD_EVERY_MS) {
        lastYield = now;
        memory.assertWithinBudget();
        // Yield to the event loop so Ctrl-C (SIGINT/SIGTERM) handlers can run mid-epoch.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      if (hooks.onBatch && (now - lastReport > 100 || done === estimatedBatches)) {
        lastReport = now;
        const seconds = (now - started) / 1000;
        const speed = sums.seen / Math.max(seconds, 1e-9);
        hooks.onBatch({
          epoch,
          epochs: config.epochs,
          batch: done,
          batches: estimatedBatches,
          loss: sums.loss / sums.seen,
          accuracy: sums.correct / sums.seen,
          samplesPerSecond: speed,
          learningRate,
          hiddenSize: model.widths[1],
          batchSize: batch.size,
          rssMB: process.memoryUsage.rss() / 2 ** 20,
          etaSeconds: (trainIndex.length - sums.seen) / speed,
        });
      }
      // Stop only on an optimizer-step boundary, so a resumed run replays whole accumulation groups.
      if (pending === 0 && hooks.shouldStop?.()) {
        sums.seconds = (performance.now() - started) / 1000;
        return { sums, batchesDone: done, interrupted: true, batchSize };
      }
    }
    if (pending > 0) optimizer.step(learningRate);
  } finally {
    x.dispose();
    loss.dispose();
  }
  sums.seconds = (performance.now() - started) / 1000;
  return { sums, batchesDone: done, interrupted: false, batchSize };
}
