import { join, resolve } from 'node:path';
import { type ImageDataset, loadDataset, stratifiedSplit } from '@sprout/data-mnist';
import { evaluate, grow, saveModel } from '@sprout/layers';
import { MemoryWatch } from '@sprout/memwatch';
import { EarlyStopping, growthSchedule, warmupDecay } from '@sprout/schedule';
import { createBackend } from '@sprout/tensor';
import {
  type CheckpointState,
  checkpointPath,
  floatBytes,
  readCheckpoint,
  writeCheckpoint,
} from './checkpoint.js';
import { resolveConfig, type TrainConfig, type TrainConfigInput } from './config.js';
import { type DatasetIdentity, datasetIdentity } from './datasetIdentity.js';
import { ConfigError, DatasetMismatchError, TrainingDivergedError } from './errors.js';
import type { TrainHooks } from './events.js';
import type { EpochRecord, TrainResult } from './history.js';
import { type EpochSums, runEpoch } from './runEpoch.js';
import { ensureDirectory, removeOrphanTemps } from './runFiles.js';
import { acquireRunLock } from './runLock.js';
import {
  discardReplacedRun,
  REPLACED_DIR,
  refuseOccupied,
  restoreReplacedRun,
  setAsideRun,
} from './runOwnership.js';
import { newSession, restoreSession, type Session } from './session.js';
import { writeRunOutputs } from './writeRunOutputs.js';

/** Options of {@link train}. */
export interface TrainOptions {
  hooks?: TrainHooks;
  /** Continue from the checkpoint in `outDir` (the CLI's --continue-training). */
  resume?: boolean;
  /**
   * Replace the run already in `outDir` (the CLI's --overwrite). Without it, a new run refuses a
   * directory that holds another run's model or checkpoint.
   */
  overwrite?: boolean;
  /**
   * The memory watch to use (default: one with the `maxMemoryPercent` budget); pass your own to
   * share it, or one with an injected sampler to rehearse memory pressure.
   */
  memory?: MemoryWatch;
}

// Changing these would make a checkpoint mean something else; the rest may change on resume.
const FIXED_ON_RESUME = [
  'seed',
  'initialHiddenSize',
  'finalHiddenSize',
  'growthEpochs',
  'dataDir',
  'classes',
  'trainLimit',
  'devSize',
] as const;

/** A train loss this many times the untrained network's loss means the run has blown up. */
const EXPLODED_LOSS_FACTOR = 10;

/**
 * Trains a growing MLP from chance to its best dev accuracy: epoch-0 evaluation, then per epoch
 * growth, learning rate, batches, Adam steps, evaluation, early stopping and an atomic checkpoint;
 * at the end the best weights, test metrics, plots and report in `outDir`.
 *
 * The run directory belongs to this run: another run's model or checkpoint there is refused
 * (unless `overwrite`), a second process is kept out by a lock file, and every file is written
 * atomically, so an interrupted, killed, diverged or failed run leaves the earlier files intact.
 *
 * @example
 * ```ts
 * const result = await train({ epochs: 20, outDir: 'runs/demo' }, { hooks: { onEpoch: (r) => console.log(r) } });
 * console.log(result.testAccuracy);
 * ```
 */
export async function train(input: TrainConfigInput = {}, options: TrainOptions = {}): Promise<TrainResult> {
  let config = absoluteDataDir(resolveConfig(input));
  if (config.classes !== undefined && config.dataDir === undefined)
    throw new ConfigError('classes', 'applies to a dataDir dataset; the bundled MNIST has its 10 classes');
  const file = checkpointPath(config.outDir);
  const checkpoint = options.resume ? readCheckpoint(file) : null;
  if (checkpoint) config = resumedConfig(checkpoint.state, input);
  if (!options.resume) refuseOccupied(config.outDir, options.overwrite);

  // Load (and check) the data before touching the disk: a bad dataset leaves no empty run directory.
  const full = await loadDataset({ dir: config.dataDir, classes: config.classes });
  const dataset = datasetIdentity(full, config.dataDir);
  if (checkpoint?.state.dataset && checkpoint.state.dataset.sha256 !== dataset.sha256) {
    throw new DatasetMismatchError(
      `cannot continue: the data in ${dataset.source} changed since the checkpoint in ${config.outDir} was written`,
    );
  }
  const data = limit(full, config);
  if (config.devSize >= data.train.count) {
    throw new ConfigError('devSize', `must be smaller than the ${data.train.count} training images`);
  }

  ensureDirectory(config.outDir);
  const release = acquireRunLock(config.outDir);
  // A process that exits at once (a second Ctrl-C) still leaves no lock behind.
  process.on('exit', release);
  let replacing = false;
  try {
    removeOrphanTemps(config.outDir);
    if (!options.resume) {
      refuseOccupied(config.outDir, options.overwrite); // again, now that the directory is ours
      if (options.overwrite) replacing = setAsideRun(config.outDir).length > 0;
    }
    const result = await trainLocked(config, data, dataset, checkpoint, options.hooks ?? {}, options.memory);
    // The replaced run goes only once this one has finished; interrupted, both are kept.
    if (!result.interrupted) discardReplacedRun(config.outDir);
    else if (replacing)
      options.hooks?.onMessage?.(
        `the run this one replaces is kept in ${join(config.outDir, REPLACED_DIR)} until this one finishes`,
      );
    return result;
  } catch (error) {
    if (replacing) restoreReplacedRun(config.outDir);
    throw error;
  } finally {
    process.off('exit', release);
    release();
  }
}

/** dataDir as an absolute path, so a run can be continued or evaluated from any directory. */
function absoluteDataDir<T extends { dataDir?: string }>(config: T): T {
  return config.dataDir === undefined ? config : { ...config, dataDir: resolve(config.dataDir) };
}

async function trainLocked(
  config: TrainConfig,
  data: ImageDataset,
  dataset: DatasetIdentity,
  checkpoint: { state: CheckpointState; blobs: Record<string, Uint8Array> } | null,
  hooks: TrainHooks,
  memoryWatch: MemoryWatch | undefined,
): Promise<TrainResult> {
  const file = checkpointPath(config.outDir);
  const { backend, report: backendReport } = await createBackend({ backend: config.backend });
  const memory = memoryWatch ?? new MemoryWatch({ budget: `${config.maxMemoryPercent}%` });
  let session: Session | null = null;
  try {
    const split = stratifiedSplit(data.train.labels, config.devSize, config.seed);
    const pixels = data.train.rows * data.train.cols;
    if (checkpoint) {
      session = restoreSession(backend, checkpoint.state, checkpoint.blobs);
      const expected = session.model.widths[0];
      if (expected !== pixels)
        throw new DatasetMismatchError(
          `cannot continue: the images are ${data.train.rows}×${data.train.cols} (${pixels} pixels) but the model in ${config.outDir} takes ${expected}`,
        );
    } else {
      session = newSession(backend, config, pixels, data.classes);
    }
    const run = session;
    const devImages = gatherImages(data.train.images, split.dev, pixels);
    const devLabels = gatherImages(data.train.labels, split.dev, 1);
    const modelMetadata = {
      input: { rows: data.train.rows, cols: data.train.cols },
      classes: run.model.widths[run.model.widths.length - 1],
      dataset,
    };

    const learningRate = warmupDecay({
      lr0: config.learningRate,
      warmup: config.warmupEpochs,
      decay: config.decay,
      decayPatience: config.decayPatience,
    });
    const width = growthSchedule({
      initial: config.initialHiddenSize,
      final: config.finalHiddenSize,
      growthEpochs: config.growthEpochs,
    });
    const stopper = new EarlyStopping({
      patience: config.patience || Number.POSITIVE_INFINITY,
      minDelta: config.minDelta,
      mode: 'max',
    });
    memory.start();

    const history: EpochRecord[] = checkpoint?.state.history ?? [];
    let bestModel: Uint8Array | null = checkpoint?.blobs.bestModel ?? null;
    if (checkpoint) stopper.setState(checkpoint.state.earlyStopping);
    const startedAt = performance.now() - (checkpoint?.state.elapsedSeconds ?? 0) * 1000;
    const elapsed = () => (performance.now() - startedAt) / 1000;
    let batchSize = checkpoint ? resumedBatchSize(checkpoint.state, config) : config.batchSize;
    let epoch = checkpoint?.state.epoch ?? 0;
    let skip = checkpoint?.state.batchInEpoch ?? 0;
    let sums: EpochSums = checkpoint?.state.partial ?? { loss: 0, correct: 0, seen: 0, seconds: 0 };
    hooks.onStart?.({
      backendReport,
      config,
      resumedFromEpoch: checkpoint ? epoch : null,
      trainSize: split.train.length,
    });

    const evaluateAll = () => {
      memory.setPhase(`epoch ${epoch} eval`);
      memory.check();
      const dev = evaluate(run.model, devImages, devLabels, split.dev.length, pixels);
      const test = evaluate(run.model, data.test.images, data.test.labels, data.test.count, pixels);
      return { dev, test };
    };
    const save = (state: Partial<CheckpointState> = {}) =>
      writeCheckpoint(
        file,
        snapshot(run, config, {
          epoch,
          history,
          batchSize,
          elapsedSeconds: elapsed(),
          earlyStopping: stopper.state(),
          dataset,
          ...state,
        }),
        {
          ...sessionBlobs(run),
          ...(bestModel ? { bestModel } : {}),
        },
      );

    if (!checkpoint) {
      // Epoch 0: the untrained network, at chance.
      const { dev, test } = evaluateAll();
      history.push(record(0, null, dev, test.accuracy, 0, run, batchSize, 0, elapsed()));
      hooks.onEpoch?.(history[0]);
      save();
    }
    const untrainedLoss = history[0]?.devLoss ?? Math.log(data.classes);
    if (checkpoint && epoch >= config.epochs)
      hooks.onMessage?.(
        `the run already has ${epoch} epochs (--epochs ${config.epochs}): nothing to train; give a larger --epochs to go on`,
      );

    let stoppedEarly = false;
    let interrupted = false;
    while (epoch < config.epochs) {
      const e = epoch + 1;
      const target = width(e - 1);
      if (target > run.model.widths[1]) {
        for (const g of grow(run.model, 0, target, { strategy: config.growthStrategy, rng: run.rng })) {
          run.optimizer.grow(g.param, g.map, g.oldShape);
        }
        run.optimizer.setParameters(run.model.parameters());
        hooks.onMessage?.(`epoch ${e}: hidden layer grew to ${target} units`);
      }
      const lr = learningRate(e - 1);
      memory.setPhase(`epoch ${e} train`);
      const outcome = await runEpoch({
        session: run,
        config,
        train: data.train,
        trainIndex: split.train,
        epoch: e,
        learningRate: lr,
        skip,
        sums,
        batchSize,
        memory,
        hooks,
      });
      batchSize = outcome.batchSize;
      if (outcome.interrupted) {
        save({ batchInEpoch: outcome.batchesDone, partial: outcome.sums });
        interrupted = true;
        hooks.onMessage?.(`interrupted: saved a checkpoint after batch ${outcome.batchesDone} of epoch ${e}`);
        break;
      }
      const trainLoss = outcome.sums.loss / Math.max(1, outcome.sums.seen);
      const { dev, test } = evaluateAll();
      checkDiverged(e, trainLoss, dev.loss, untrainedLoss, config, epoch);
      epoch = e;
      skip = 0;
      const rec = record(
        epoch,
        outcome.sums,
        dev,
        test.accuracy,
        lr,
        run,
        batchSize,
        outcome.sums.seconds,
        elapsed(),
      );
      history.push(rec);
      const decision = stopper.update(epoch, dev.accuracy);
      if (decision.improved) bestModel = saveModel(run.model, modelMetadata);
      sums = { loss: 0, correct: 0, seen: 0, seconds: 0 };
      save();
      hooks.onEpoch?.(rec);
      if (decision.stop) {
        stoppedEarly = true;
        hooks.onMessage?.(
          `early stopping: dev accuracy has not improved for ${config.patience} epochs (best ${(decision.best * 100).toFixed(2)}% at epoch ${decision.bestEpoch})`,
        );
        break;
      }
    }
    memory.stop();

    return await writeRunOutputs({
      session: run,
      backend,
      config,
      data,
      history,
      bestModel,
      memory,
      interrupted,
      stoppedEarly,
      wallSeconds: elapsed(),
      backendReport,
      hooks,
      modelMetadata,
    });
  } finally {
    // One cleanup path, whatever happened: no worker thread, GPU context or timer outlives the run.
    memory.stop();
    session?.optimizer.dispose();
    session?.model.dispose();
    backend.dispose();
  }
}

/** Non-finite values or an exploding loss stop the run before its checkpoint is replaced. */
function checkDiverged(
  epoch: number,
  trainLoss: number,
  devLoss: number,
  untrainedLoss: number,
  config: TrainConfig,
  lastGoodEpoch: number,
): void {
  const limit = EXPLODED_LOSS_FACTOR * untrainedLoss;
  const what = !Number.isFinite(trainLoss)
    ? `train loss is ${trainLoss}`
    : !Number.isFinite(devLoss)
      ? `dev loss is ${devLoss}`
      : trainLoss > limit
        ? `train loss ${trainLoss.toFixed(1)} is over ${EXPLODED_LOSS_FACTOR}× the untrained network's ${untrainedLoss.toFixed(2)}`
        : null;
  if (what === null) return;
  throw new TrainingDivergedError(
    `training diverged in epoch ${epoch}: ${what}; try a lower --learning-rate (now ${config.learningRate}). ` +
      `The checkpoint of epoch ${lastGoodEpoch} in ${config.outDir} is kept`,
  );
}

/**
 * The batch size a resumed run goes on with: the one asked for on the command line when it can
 * take effect (at an epoch boundary), else the checkpoint's. Mid-epoch, the batches already
 * trained fix the size until the epoch ends, so a different one is refused rather than ignored.
 */
function resumedBatchSize(state: CheckpointState, config: TrainConfig): number {
  const asked = config.batchSize;
  if (asked === state.config.batchSize) return state.batchSize;
  if (state.batchInEpoch > 0 && asked !== state.batchSize)
    throw new ConfigError(
      'batchSize',
      `cannot change to ${asked} in the middle of epoch ${state.epoch + 1} (interrupted at batch ${state.batchInEpoch} with batches of ${state.batchSize}); continue without it, then change it`,
    );
  return asked;
}

function resumedConfig(state: CheckpointState, input: TrainConfigInput): TrainConfig {
  const saved = state.config;
  const explicit = Object.fromEntries(
    Object.entries(absoluteDataDir(input as Record<string, unknown> & { dataDir?: string })).filter(
      ([, v]) => v !== undefined,
    ),
  );
  const merged = resolveConfig({ ...saved, ...explicit });
  for (const key of FIXED_ON_RESUME) {
    if (merged[key] !== saved[key]) {
      throw new ConfigError(
        key,
        `was ${JSON.stringify(saved[key])} in the checkpoint, now ${JSON.stringify(merged[key])}: a continued run keeps it (start a new run to change it)`,
      );
    }
  }
  return merged;
}

function limit(data: ImageDataset, config: TrainConfig): ImageDataset {
  const cut = (set: ImageDataset['train'], n: number) => {
    if (!n || n >= set.count) return set;
    const px = set.rows * set.cols;
    return { ...set, count: n, images: set.images.subarray(0, n * px), labels: set.labels.subarray(0, n) };
  };
  return { ...data, train: cut(data.train, config.trainLimit), test: cut(data.test, config.testLimit) };
}

function gatherImages(source: Uint8Array, index: Int32Array, size: number): Uint8Array {
  const out = new Uint8Array(index.length * size);
  index.forEach((k, i) => {
    out.set(source.subarray(k * size, (k + 1) * size), i * size);
  });
  return out;
}

function record(
  epoch: number,
  sums: EpochSums | null,
  dev: { loss: number; accuracy: number },
  testAccuracy: number,
  learningRate: number,
  session: Session,
  batchSize: number,
  seconds: number,
  elapsed: number,
): EpochRecord {
  return {
    epoch,
    trainLoss: sums ? sums.loss / Math.max(1, sums.seen) : null,
    trainAccuracy: sums ? sums.correct / Math.max(1, sums.seen) : null,
    devLoss: dev.loss,
    devAccuracy: dev.accuracy,
    testAccuracy,
    learningRate,
    hiddenSize: session.model.widths[1],
    batchSize,
    seconds,
    elapsed,
    samplesPerSecond: sums && seconds > 0 ? sums.seen / seconds : 0,
    rssMB: process.memoryUsage.rss() / 2 ** 20,
  };
}

function snapshot(
  session: Session,
  config: TrainConfig,
  s: Omit<CheckpointState, 'config' | 'rngState' | 'optimizerSteps' | 'batchInEpoch' | 'partial'> &
    Partial<CheckpointState>,
): CheckpointState {
  return {
    config,
    batchInEpoch: 0,
    partial: null,
    rngState: session.rng.state(),
    optimizerSteps: session.optimizer.steps,
    ...s,
  };
}

function sessionBlobs(session: Session): Record<string, Uint8Array> {
  const blobs: Record<string, Uint8Array> = { model: saveModel(session.model) };
  const state = session.optimizer.state();
  for (const [name, slot] of Object.entries(state.slots)) {
    for (const [key, values] of Object.entries(slot)) blobs[`optimizer/${name}/${key}`] = floatBytes(values);
  }
  return blobs;
}
