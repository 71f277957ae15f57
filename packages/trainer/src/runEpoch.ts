import type { AugmentBatch, ImageSet } from '@sprout/data-mnist';
import { Batches, FeatureBatches } from '@sprout/data-mnist/browser';
import { type LayerInput, MeanSquaredError, SoftmaxCrossEntropy } from '@sprout/layers';
import { type Backend, CpuBackend, fromArray, LossSums, SparseRows, type Tensor } from '@sprout/tensor';
import type { TrainConfig } from './configTypes.js';
import { TrainingDivergedError } from './errors.js';
import type { TrainHooks } from './events.js';
import { type FeatureRows, isFeatureRows } from './examples.js';
import { batchBytesPerSample, MicroBatches } from './microBatches.js';
import { nextTask, residentMB } from './runtime.js';
import type { Session } from './session.js';
import type { LoopMemory } from './trainingLoop.js';

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
 * How often a GPU's loss sums are read (each read waits for the GPU's queue): the progress bar's
 * rate. A cpu reads them after every batch, for free.
 */
const READ_LOSS_EVERY_MS = 100;
/**
 * The cpu backend's warp kernel for a run's augmentation, where it pays: it gives data-mnist's
 * bytes on every kernel thread. Measured (55,000 images, 2-core Zen 5): affine 224 ms an epoch in
 * JavaScript, 188 ms in WebAssembly on one thread, 132 on two; elastic 828 ms, 1,159 on one
 * thread (V8 runs that float64 loop faster than the WebAssembly build), 804 on two.
 */
function warpsOnKernelThreads(
  backend: Backend,
  elastic: number,
): ((batch: AugmentBatch) => void) | undefined {
  if (!(backend instanceof CpuBackend) || !backend.canWarpImages) return undefined;
  if (elastic > 0 && backend.activeThreads < 2) return undefined;
  return (batch) => backend.warpImages(batch);
}

/**
 * One epoch of training: shuffled (optionally augmented) batches, forward, fused loss, backward
 * into the gradient buffers — `accumulate` micro-batches per Adam step — with progress reports.
 * Resumes mid-epoch by regenerating the epoch and replaying its first `sums.seen` samples untrained
 * (by samples, not batches, so a batch size changed by memory still lands exactly).
 */
export async function runEpoch(args: {
  session: Session;
  config: TrainConfig;
  /** Images (sparse product) or feature rows (dense product). */
  train: ImageSet | FeatureRows;
  trainIndex: Int32Array;
  epoch: number;
  /** The learning rate at fractional epoch t (this epoch's batches run from epoch − 1 to epoch). */
  learningRate: (t: number) => number;
  skip: number;
  sums: EpochSums;
  batchSize: number;
  memory: LoopMemory;
  hooks: TrainHooks;
  /** Told how long each pause held training (milliseconds). */
  paused?: (ms: number) => void;
}): Promise<EpochOutcome> {
  const { session, config, train, trainIndex, epoch, learningRate, memory, hooks } = args;
  const { model, optimizer } = session;
  const backend = model.denseLayers[0].backend;
  const x = new SparseRows(backend);
  const loss = new SoftmaxCrossEntropy({ labelSmoothing: config.labelSmoothing });
  const squaredError = new MeanSquaredError();
  // The batches' cross-entropy and hits, summed where the logits are; a GPU is read only every
  // READ_LOSS_EVERY_MS, so its steps queue up without a wait (a divergence shows that much later).
  const lossSums = new LossSums(backend);
  const deferReads = backend.name === 'gpu';
  const micro = new MicroBatches(
    config,
    args.batchSize,
    memory,
    batchBytesPerSample(model.widths),
    (line) => hooks.onMessage?.(line),
    args.skip > 0 ? args.sums.seen : 0,
  );
  const batches = epochBatches(train, trainIndex, config, backend, () => micro.next());
  let dense: Tensor | null = null;
  const estimatedBatches = Math.ceil(trainIndex.length / config.batchSize);
  const sums = { ...args.sums };
  let started = performance.now() - sums.seconds * 1000;
  let done = 0;
  let lastReport = 0;
  // Lets the event loop in (signal handlers, messages), then holds while the pause point says so;
  // time paused is not training time.
  const letIn = async () => {
    await nextTask();
    const pause = hooks.pausePoint?.();
    if (!pause) return;
    const pausedAt = performance.now();
    await pause;
    const ms = performance.now() - pausedAt;
    started += ms;
    args.paused?.(ms);
  };
  // Once at every epoch's start too, so that epochs shorter than YIELD_EVERY_MS still let it in.
  await letIn();
  let lastYield = performance.now();
  const rateNow = () => learningRate(epoch - 1 + sums.seen / Math.max(1, trainIndex.length));
  let lastRead = lastYield;
  // Adds what the sums hold to this epoch's; a loss that is not finite stops the run here, with
  // the last checkpoint (the previous epoch's) kept.
  const diverged = (value: number, where = `batch ${done + 1}`) =>
    new TrainingDivergedError(
      `training diverged in epoch ${epoch}, ${where}: the loss is ${value}; try a lower --learning-rate (now ${config.learningRate})`,
    );
  const readLoss = () => {
    const read = lossSums.read();
    if (!Number.isFinite(read.loss))
      throw diverged(read.loss, deferReads ? `by batch ${done}` : `batch ${done + 1}`);
    // The reported train loss is the plain cross-entropy (without label smoothing's term), so
    // that it compares with the dev loss.
    sums.loss += read.loss;
    sums.correct += read.correct;
    lastRead = performance.now();
  };
  model.setTraining(true);
  try {
    for (const batch of batches.epoch(epoch)) {
      if (micro.toSkip > 0) {
        micro.toSkip -= batch.size;
        done++;
        continue;
      }
      // Images: one upload of pixels and labels; features: a dense batch and its labels.
      let input: LayerInput = x;
      if ('images' in batch) x.set(batch.images, batch.size, batch.pixels, 1 / 255, batch.labels);
      else {
        // One tensor for the epoch's batches, made again only when the batch size changes.
        const features = batch.x.length / batch.size;
        if (dense?.rows === batch.size) dense.set(batch.x);
        else {
          dense?.dispose();
          dense = fromArray(backend, batch.x, [batch.size, features]);
        }
        input = dense;
      }
      let grad: Tensor;
      if ('targets' in batch && batch.targets) {
        // Regression: the mean squared error, on the host (its loss is read at once, no hits).
        const step = squaredError.compute(model.forward(input), batch.targets, 1 / micro.steps);
        if (!Number.isFinite(step.value)) throw diverged(step.value);
        sums.loss += step.value * batch.size;
        grad = step.grad;
      } else
        grad = loss.step(model.forward(input), input === x ? x : batch.labels, lossSums, 1 / micro.steps);
      // Read before the step reaches the weights where reading is free.
      if (!deferReads) readLoss();
      model.backward(grad, { accumulate: micro.pending > 0 });
      if (micro.trained()) optimizer.step(rateNow());
      sums.seen += batch.size;
      done++;
      const now = performance.now();
      const reportDue = hooks.onBatch !== undefined && (now - lastReport > 100 || done === estimatedBatches);
      if (deferReads && (reportDue || now - lastRead >= READ_LOSS_EVERY_MS)) readLoss();
      if (reportDue && hooks.onBatch) {
        lastReport = now;
        hooks.onBatch({
          ...speedAndEta(sums.seen, trainIndex.length, (now - started) / 1000),
          epoch,
          epochs: config.epochs,
          batch: done,
          batches: estimatedBatches,
          loss: sums.loss / sums.seen,
          accuracy: sums.correct / sums.seen,
          learningRate: rateNow(),
          hiddenSize: model.widths[1],
          hiddenSizes: model.widths.slice(1, -1),
          batchSize: batch.size,
          rssMB: residentMB(),
        });
      }
      // The loop is synchronous, so timers cannot fire: sample memory here. Throws a typed
      // MemoryLimitExceededError at the critical level; the last checkpoint stays intact.
      // By time, not by batch count: an epoch of a few batches must still let Ctrl-C in.
      if (now - lastYield >= YIELD_EVERY_MS) {
        lastYield = now;
        memory.assertWithinBudget();
        // Yield to the event loop so Ctrl-C (SIGINT/SIGTERM) handlers can run mid-epoch.
        await letIn();
      }
      // Stop only on an optimizer-step boundary, so a resumed run replays whole accumulation groups.
      if (micro.pending === 0 && hooks.shouldStop?.()) {
        readLoss();
        sums.seconds = (performance.now() - started) / 1000;
        return { sums, batchesDone: done, interrupted: true, batchSize: micro.size };
      }
    }
    if (micro.pending > 0) optimizer.step(rateNow());
    readLoss();
  } finally {
    model.setTraining(false);
    x.dispose();
    dense?.dispose();
    loss.dispose();
    squaredError.dispose();
    lossSums.dispose();
  }
  sums.seconds = (performance.now() - started) / 1000;
  return { sums, batchesDone: done, interrupted: false, batchSize: micro.size };
}

/** A batch of either kind: images with their pixel count, or feature rows. */
type EpochBatch =
  | { images: Uint8Array; labels: Uint8Array; size: number; pixels: number }
  | { x: Float32Array; labels: Uint8Array; targets: Float32Array | null; size: number };

/**
 * An epoch's batches: shuffled by seed and epoch, augmented as the config says (images only),
 * sized by `size`.
 */
function epochBatches(
  train: ImageSet | FeatureRows,
  trainIndex: Int32Array,
  config: TrainConfig,
  backend: Backend,
  size: () => number,
): { epoch(e: number): Iterable<EpochBatch> } {
  if (isFeatureRows(train))
    return new FeatureBatches(train, trainIndex, { batchSize: size, seed: config.seed });
  const pixels = train.rows * train.cols;
  const images = imageBatches(train, trainIndex, config, backend, size);
  return {
    *epoch(e) {
      for (const batch of images.epoch(e)) yield { ...batch, pixels };
    },
  };
}

function imageBatches(
  train: ImageSet,
  trainIndex: Int32Array,
  config: TrainConfig,
  backend: Backend,
  size: () => number,
): Batches {
  return new Batches(train, trainIndex, {
    batchSize: size,
    seed: config.seed,
    // The warps on every kernel thread where the cpu backend has them and they pay (the same bytes).
    augmentWith: warpsOnKernelThreads(backend, config.augment ? config.elastic : 0),
    augment: config.augment
      ? {
          translate: config.augmentShift,
          rotateDegrees: config.augmentRotate,
          scale: config.augmentScale,
          elastic: config.elastic,
        }
      : false,
  });
}

/** Samples per second so far and the seconds the epoch's rest will take at that speed. */
function speedAndEta(seen: number, total: number, seconds: number) {
  const samplesPerSecond = seen / Math.max(seconds, 1e-9);
  return { samplesPerSecond, etaSeconds: (total - seen) / samplesPerSecond };
}
