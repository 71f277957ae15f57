import { join, resolve } from 'node:path';
import {
  type CroppedImages,
  croppedImages,
  type ImageDataset,
  loadDataset,
  stratifiedSplit,
} from '@sprout/data-mnist';
import { evaluate, grow, saveModel } from '@sprout/layers';
import { MemoryWatch } from '@sprout/memwatch';
import { EarlyStopping, growthSchedule, type Schedule } from '@sprout/schedule';
import { type Backend, createBackend, GpuContextLostError } from '@sprout/tensor';
import {
  type CheckpointState,
  checkpointPath,
  floatBytes,
  readCheckpoint,
  writeCheckpoint,
} from './checkpoint.js';
import { resolveConfig, type TrainConfig, type TrainConfigInput } from './config.js';
import { type DatasetIdentity, datasetIdentity } from './datasetIdentity.js';
import { BackendLostError, ConfigError, DatasetMismatchError, TrainingDivergedError } from './errors.js';
import type { TrainHooks } from './events.js';
import type { EpochRecord, TrainResult } from './history.js';
import { learningRateSchedule } from './learningRateSchedule.js';
import { optionsWhere } from './options.js';
import { collectGarbage, releaseMemory } from './releaseMemory.js';
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
import { newSession, optimizerBlobName, restoreSession, type Session } from './session.js';
import { type ReportJob, writeReport, writeRunOutputs } from './writeRunOutputs.js';

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
const FIXED_ON_RESUME = optionsWhere('fixedOnResume');

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
    throw new ConfigError('classes', 'applies to a {dataDir} dataset; the bundled MNIST has its 10 classes');
  const file = checkpointPath(config.outDir);
  const checkpoint = options.resume ? readCheckpoint(file) : null;
  if (checkpoint) config = resumedConfig(checkpoint.state, input);
  if (!options.resume) refuseOccupied(config.outDir, options.overwrite);

  // Load (and check) the data before touching the disk: a bad dataset leaves no empty run directory.
  // Held in a variable the report step clears: see below.
  let loaded: { data: RunData; dataset: DatasetIdentity } | null = await loadRunData(config, checkpoint);
  // The full training images, garbage once cropped, go now rather than at V8's next full
  // collection: otherwise the backend, its threads and the model come on top of them (a 3-epoch
  // run's peak: 179 → see the memory guide).
  await releaseMemory();

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
    const { result, reportJob } = await trainLocked(
      config,
      loaded.data,
      loaded.dataset,
      checkpoint,
      options.hooks ?? {},
      options.memory,
    );
    // The report comes after the run has let go of its data (the training images are most of its
    // memory), backend and worker thread, so rendering it reuses their memory instead of adding
    // to the run's peak.
    loaded = null;
    if (reportJob) {
      await releaseMemory();
      await writeReport(reportJob);
      options.hooks?.onMessage?.(`report: ${join(config.outDir, 'report.html')}`);
    }
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

/** The run's data: loaded, checked against a resumed checkpoint, limited as the config asks. */
async function loadRunData(
  config: TrainConfig,
  checkpoint: Checkpoint | null,
): Promise<{ data: RunData; dataset: DatasetIdentity }> {
  const full = await loadDataset({ dir: config.dataDir, classes: config.classes });
  const dataset = datasetIdentity(full, config.dataDir);
  if (checkpoint?.state.dataset && checkpoint.state.dataset.sha256 !== dataset.sha256) {
    throw new DatasetMismatchError(
      `cannot continue: the data in ${dataset.source} changed since the checkpoint in ${config.outDir} was written`,
    );
  }
  const data = limit(full, config);
  if (config.devSize >= data.train.count) {
    throw new ConfigError(
      'devSize',
      `is ${config.devSize} but must be smaller than the ${data.train.count} training images: lower it`,
    );
  }
  // The training images, cropped to their ink boxes (MNIST: 18 MB instead of 47); the full set goes
  // out of scope here, so the run never holds both.
  return { data: { ...data, train: croppedImages(data.train) }, dataset };
}

/** A run's data: the training set cropped (see croppedImages), the test set as loaded. */
export type RunData = Omit<ImageDataset, 'train'> & { train: CroppedImages };

/** dataDir as an absolute path, so a run can be continued or evaluated from any directory. */
function absoluteDataDir<T extends { dataDir?: string }>(config: T): T {
  return config.dataDir === undefined ? config : { ...config, dataDir: resolve(config.dataDir) };
}

/**
 * One run, in three phases — prepare (backend, memory watch, model and optimizer, schedules,
 * epoch 0), the epoch loop, finish (best model, metrics, plots, report) — and one cleanup path
 * for everything it started, whatever happened.
 */
async function trainLocked(
  config: TrainConfig,
  data: RunData,
  dataset: DatasetIdentity,
  checkpoint: Checkpoint | null,
  hooks: TrainHooks,
  memoryWatch: MemoryWatch | undefined,
): Promise<{ result: TrainResult; reportJob: ReportJob | null }> {
  const resources = await openResources(config, memoryWatch, {
    inputs: data.train.rows * data.train.cols,
    outputs: data.classes,
  });
  try {
    const run = prepareRun(resources, config, data, dataset, checkpoint, hooks);
    const ending = await trainEpochs(run, hooks);
    resources.memory.stop();
    return await writeRunOutputs({
      session: run.session,
      backend: resources.backend,
      config,
      data,
      history: run.history,
      bestModel: run.bestModel,
      memory: resources.memory,
      interrupted: ending.interrupted,
      stoppedEarly: ending.stoppedEarly,
      wallSeconds: run.elapsed(),
      backendReport: resources.backendReport,
      modelMetadata: run.modelMetadata,
    });
  } finally {
    closeResources(resources);
  }
}

type Checkpoint = { state: CheckpointState; blobs: Record<string, Uint8Array> };

/** What a run starts and must stop: no worker thread, GPU context or timer outlives the run. */
interface RunResources {
  backend: Backend;
  backendReport: string;
  memory: MemoryWatch;
  /** Set once the model and optimizer exist. */
  session: Session | null;
}

async function openResources(
  config: TrainConfig,
  memoryWatch: MemoryWatch | undefined,
  data: { inputs: number; outputs: number },
): Promise<RunResources> {
  // `auto` times both backends on this run's shape and batch size, where a gpu is there to choose.
  const { backend, report } = await createBackend({
    backend: config.backend,
    threads: config.threads,
    probe: { batchSize: config.batchSize, hidden: Math.max(...config.hidden), ...data },
  });
  const memory = memoryWatch ?? new MemoryWatch({ budget: `${config.maxMemoryPercent}%` });
  return { backend, backendReport: report, memory, session: null };
}

function closeResources(resources: RunResources): void {
  resources.memory.stop();
  resources.session?.optimizer.dispose();
  resources.session?.model.dispose();
  resources.backend.dispose();
}

/** Everything the epoch loop reads and updates. */
interface Run {
  config: TrainConfig;
  data: RunData;
  dataset: DatasetIdentity;
  session: Session;
  memory: MemoryWatch;
  split: { train: Int32Array; dev: Int32Array };
  pixels: number;
  devImages: Uint8Array;
  devLabels: Uint8Array;
  modelMetadata: ModelMetadata;
  /** The learning rate at fractional epoch t. */
  learningRate: Schedule;
  /** Each hidden layer's width at an epoch. */
  widths: (epoch: number) => number[];
  stopper: EarlyStopping;
  history: EpochRecord[];
  bestModel: Uint8Array | null;
  /** Epochs finished. */
  epoch: number;
  /** Batches of the next epoch already trained before an interruption. */
  skip: number;
  sums: EpochSums;
  batchSize: number;
  /** The untrained network's dev loss: the yardstick for an exploding loss. */
  untrainedLoss: number;
  elapsed: () => number;
}

type ModelMetadata = Parameters<typeof saveModel>[1] & {};

/** Phase 1: the model (new or from the checkpoint), schedules, and epoch 0 for a new run. */
function prepareRun(
  resources: RunResources,
  config: TrainConfig,
  data: RunData,
  dataset: DatasetIdentity,
  checkpoint: Checkpoint | null,
  hooks: TrainHooks,
): Run {
  const split = stratifiedSplit(data.train.labels, config.devSize, config.seed);
  const pixels = data.train.rows * data.train.cols;
  if (checkpoint) {
    resources.session = restoreSession(resources.backend, checkpoint.state, checkpoint.blobs, config);
    const expected = resources.session.model.widths[0];
    if (expected !== pixels)
      throw new DatasetMismatchError(
        `cannot continue: the images are ${data.train.rows}×${data.train.cols} (${pixels} pixels) but the model in ${config.outDir} takes ${expected}`,
      );
  } else {
    resources.session = newSession(resources.backend, config, pixels, data.classes);
  }
  const session = resources.session;
  const stopper = new EarlyStopping({
    patience: config.patience || Number.POSITIVE_INFINITY,
    minDelta: config.minDelta,
    mode: 'max',
  });
  if (checkpoint) stopper.setState(checkpoint.state.earlyStopping);
  const startedAt = performance.now() - (checkpoint?.state.elapsedSeconds ?? 0) * 1000;
  const run: Run = {
    config,
    data,
    dataset,
    session,
    memory: resources.memory,
    split,
    pixels,
    devImages: gatherImages(data.train, split.dev),
    devLabels: Uint8Array.from(split.dev, (k) => data.train.labels[k]),
    modelMetadata: {
      input: { rows: data.train.rows, cols: data.train.cols },
      classes: session.model.widths[session.model.widths.length - 1],
      dataset,
      ...(data.classNames ? { classNames: data.classNames } : {}),
    },
    learningRate: learningRateSchedule(config),
    widths: layerWidths(config),
    stopper,
    history: checkpoint?.state.history ?? [],
    bestModel: checkpoint?.blobs.bestModel ?? null,
    epoch: checkpoint?.state.epoch ?? 0,
    skip: checkpoint?.state.batchInEpoch ?? 0,
    sums: checkpoint?.state.partial ?? emptySums(),
    batchSize: checkpoint ? resumedBatchSize(checkpoint.state, config) : config.batchSize,
    untrainedLoss: Math.log(data.classes),
    elapsed: () => (performance.now() - startedAt) / 1000,
  };
  resources.memory.start();
  hooks.onStart?.({
    backendReport: resources.backendReport,
    config,
    resumedFromEpoch: checkpoint ? run.epoch : null,
    trainSize: split.train.length,
  });
  if (!checkpoint) {
    // Epoch 0: the untrained network, at chance.
    const { dev, test } = evaluateAll(run, 0);
    run.history.push(
      epochRecord(run, { epoch: 0, sums: null, dev, testAccuracy: test?.accuracy ?? null, learningRate: 0 }),
    );
    hooks.onEpoch?.(run.history[0]);
    saveCheckpoint(run);
  }
  run.untrainedLoss = run.history[0]?.devLoss ?? run.untrainedLoss;
  if (checkpoint && run.epoch >= config.epochs)
    hooks.onMessage?.(
      `the run already has ${run.epoch} epochs (--epochs ${config.epochs}): nothing to train; give a larger --epochs to go on`,
    );
  return run;
}

/** Phase 2: epochs until the last, early stopping or an interruption; a checkpoint after each. */
async function trainEpochs(
  run: Run,
  hooks: TrainHooks,
): Promise<{ interrupted: boolean; stoppedEarly: boolean }> {
  try {
    return await trainEpochsOn(run, hooks);
  } catch (error) {
    if (!(error instanceof GpuContextLostError)) throw error;
    // Nothing read from a lost GPU is saved: the checkpoint on disk is the last good one.
    throw new BackendLostError(
      `${error.message}, in epoch ${run.epoch + 1}; the checkpoint of epoch ${run.epoch} in ${run.config.outDir} is kept: ` +
        'run again with --continue-training (with --backend cpu to leave the GPU)',
    );
  }
}

async function trainEpochsOn(
  run: Run,
  hooks: TrainHooks,
): Promise<{ interrupted: boolean; stoppedEarly: boolean }> {
  const { config, session } = run;
  while (run.epoch < config.epochs) {
    const e = run.epoch + 1;
    let grew = false;
    run.widths(e - 1).forEach((target, layer) => {
      if (target <= session.model.widths[layer + 1]) return;
      grew = true;
      // Parameters keep their identity as they grow, so the optimizer only regrows its state.
      for (const g of grow(session.model, layer, target, {
        strategy: config.growthStrategy,
        rng: session.rng,
      }))
        session.optimizer.grow(g.param, g.map, g.oldShape);
      const which = config.hidden.length > 1 ? `hidden layer ${layer + 1}` : 'hidden layer';
      hooks.onMessage?.(`epoch ${e}: ${which} grew to ${target} units`);
    });
    // Growth leaves the old parameters' and Adam slots' host copies behind (~14 MB at 448 → 512);
    // collected now, not at the epoch's end, they do not sit on top of the epoch's own memory
    // (a default run's peak was in its growth epochs: 167 MiB, 154 after them).
    if (grew) collectGarbage();
    // The epoch's starting rate is what its record shows (cosine and one-cycle change per batch).
    const lr = run.learningRate(e - 1);
    run.memory.setPhase(`epoch ${e} train`);
    const outcome = await runEpoch({
      session,
      config,
      train: run.data.train,
      trainIndex: run.split.train,
      epoch: e,
      learningRate: run.learningRate,
      skip: run.skip,
      sums: run.sums,
      batchSize: run.batchSize,
      memory: run.memory,
      hooks,
    });
    run.batchSize = outcome.batchSize;
    if (outcome.interrupted) {
      saveCheckpoint(run, { batchInEpoch: outcome.batchesDone, partial: outcome.sums });
      hooks.onMessage?.(`interrupted: saved a checkpoint after batch ${outcome.batchesDone} of epoch ${e}`);
      return { interrupted: true, stoppedEarly: false };
    }
    const trainLoss = outcome.sums.loss / Math.max(1, outcome.sums.seen);
    const { dev, test } = evaluateAll(run, e);
    checkDiverged(e, trainLoss, dev.loss, run.untrainedLoss, config, run.epoch);
    run.epoch = e;
    run.skip = 0;
    const rec = epochRecord(run, {
      epoch: e,
      sums: outcome.sums,
      dev,
      testAccuracy: test?.accuracy ?? null,
      learningRate: lr,
    });
    run.history.push(rec);
    const decision = run.stopper.update(e, dev.accuracy);
    // Into the previous best's buffer: a fresh 1.6 MB one an epoch fragmented the malloc heap.
    if (decision.improved)
      run.bestModel = saveModel(session.model, run.modelMetadata, { into: run.bestModel ?? undefined });
    run.sums = emptySums();
    saveCheckpoint(run);
    collectGarbage();
    hooks.onEpoch?.(rec);
    if (decision.stop) {
      hooks.onMessage?.(
        `early stopping: dev accuracy has not improved for ${config.patience} epochs (best ${(decision.best * 100).toFixed(2)}% at epoch ${decision.bestEpoch})`,
      );
      return { interrupted: false, stoppedEarly: true };
    }
  }
  return { interrupted: false, stoppedEarly: false };
}

function emptySums(): EpochSums {
  return { loss: 0, correct: 0, seen: 0, seconds: 0 };
}

/** Dev and test metrics of the model after `epoch` epochs. */
function evaluateAll(run: Run, epoch: number) {
  run.memory.setPhase(`epoch ${epoch} eval`);
  run.memory.check();
  const { model } = run.session;
  const dev = evaluate(model, run.devImages, run.devLabels, run.split.dev.length, run.pixels);
  const test = run.config.evaluateTest
    ? evaluate(model, run.data.test.images, run.data.test.labels, run.data.test.count, run.pixels)
    : null;
  return { dev, test };
}

/** The checkpoint of where the run is now (atomically replacing the previous one). */
function saveCheckpoint(run: Run, state: Partial<CheckpointState> = {}): void {
  writeCheckpoint(
    checkpointPath(run.config.outDir),
    snapshot(run.session, run.config, {
      epoch: run.epoch,
      history: run.history,
      batchSize: run.batchSize,
      elapsedSeconds: run.elapsed(),
      earlyStopping: run.stopper.state(),
      dataset: run.dataset,
      ...state,
    }),
    { ...sessionBlobs(run.session), ...(run.bestModel ? { bestModel: run.bestModel } : {}) },
  );
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
  // Checkpoints from before a field existed hold its value implicitly: resolve them the same way.
  const before = resolveConfig(saved);
  // The thread count is the machine's business, not the run's: a continued run takes today's.
  const merged = resolveConfig({ ...before, threads: undefined, ...explicit });
  for (const key of FIXED_ON_RESUME) {
    if (JSON.stringify(merged[key]) !== JSON.stringify(before[key])) {
      throw new ConfigError(
        key,
        `was ${JSON.stringify(before[key])} in the checkpoint, now ${JSON.stringify(merged[key])}: a continued run keeps it (start a new run to change it)`,
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
  // Without evaluateTest the run holds no test image at all: nothing can read it by mistake.
  const test = config.evaluateTest
    ? cut(data.test, config.testLimit)
    : { ...data.test, count: 0, images: new Uint8Array(0), labels: new Uint8Array(0) };
  return { ...data, train: cut(data.train, config.trainLimit), test };
}

/** The images at `index`, expanded one after another. */
function gatherImages(set: CroppedImages, index: Int32Array): Uint8Array {
  const size = set.rows * set.cols;
  const out = new Uint8Array(index.length * size);
  for (let i = 0; i < index.length; i++) set.expandInto(index[i], out, i * size);
  return out;
}

/** The history entry of an epoch (epoch 0: the untrained network, `sums` null). */
function epochRecord(
  run: Run,
  e: {
    epoch: number;
    sums: EpochSums | null;
    dev: { loss: number; accuracy: number };
    testAccuracy: number | null;
    learningRate: number;
  },
): EpochRecord {
  const { sums } = e;
  const seconds = sums?.seconds ?? 0;
  return {
    epoch: e.epoch,
    trainLoss: sums ? sums.loss / Math.max(1, sums.seen) : null,
    trainAccuracy: sums ? sums.correct / Math.max(1, sums.seen) : null,
    devLoss: e.dev.loss,
    devAccuracy: e.dev.accuracy,
    testAccuracy: e.testAccuracy,
    learningRate: e.learningRate,
    hiddenSize: run.session.model.widths[1],
    hiddenSizes: run.session.model.widths.slice(1, -1),
    batchSize: run.batchSize,
    seconds,
    elapsed: run.elapsed(),
    samplesPerSecond: sums && seconds > 0 ? sums.seen / seconds : 0,
    rssMB: process.memoryUsage.rss() / 2 ** 20,
  };
}

/** Each hidden layer's width by epoch: the growth schedule, layer by layer. */
function layerWidths(config: TrainConfig): (epoch: number) => number[] {
  const schedules = config.hidden.map((final, i) =>
    growthSchedule({ initial: config.initialHidden[i], final, growthEpochs: config.growthEpochs }),
  );
  return (epoch) => schedules.map((width) => width(epoch));
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
  // Views, not copies, of Adam's slots (6.5 MB at width 512): writeCheckpoint hashes and writes
  // them before any op runs again. The copies had lifted a default run's peak RSS by ~10 MiB.
  const state = session.optimizer.stateViews();
  for (const [name, slot] of Object.entries(state.slots)) {
    for (const [key, values] of Object.entries(slot))
      blobs[optimizerBlobName(name, key)] = floatBytes(values);
  }
  return blobs;
}
