import { join, resolve } from 'node:path';
import { type CroppedImages, croppedImages, type ImageDataset, loadDataset } from '@sprout/data-mnist';
import { saveModel } from '@sprout/layers';
import { MemoryWatch } from '@sprout/memwatch';
import { type Backend, createBackend, GpuContextLostError } from '@sprout/tensor';
import { type CheckpointState, checkpointPath, readCheckpoint, writeCheckpoint } from './checkpoint.js';
import { resolveConfig, type TrainConfig, type TrainConfigInput } from './config.js';
import { type DatasetIdentity, datasetIdentity } from './datasetIdentity.js';
import { BackendLostError, ConfigError, DatasetMismatchError, TrainingDivergedError } from './errors.js';
import type { TrainHooks } from './events.js';
import { inputsOf, isFeatureRows } from './examples.js';
import { floatBytes } from './floatBytes.js';
import type { TrainResult } from './history.js';
import { optionsWhere } from './options.js';
import { collectGarbage, releaseMemory } from './releaseMemory.js';
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
import {
  loadTabularData,
  smallSetConfig,
  TABULAR_DEFAULTS,
  type TabularData,
  type TabularRunData,
} from './tabularData.js';
import {
  checkDevSize,
  devSizeFor,
  type LoopOutcome,
  type LoopProgress,
  TrainingLoop,
} from './trainingLoop.js';
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
  /**
   * Your own data, in memory, instead of images: rows of float features and their classes (see
   * {@link TabularData}); options a run on them leaves out take {@link TABULAR_DEFAULTS}.
   */
  data?: TabularData;
}

// Changing these would make a checkpoint mean something else; the rest may change on resume.
const FIXED_ON_RESUME = optionsWhere('fixedOnResume');

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
  const tabular = options.data !== undefined || input.csv !== undefined;
  let config = absoluteDataDir(resolveConfig(tabular ? withTabularDefaults(input) : input));
  checkDataOptions(config, input, options.data);
  const file = checkpointPath(config.outDir);
  const checkpoint = options.resume ? readCheckpoint(file) : null;
  if (checkpoint) config = resumedConfig(checkpoint.state, input);
  if (!options.resume) refuseOccupied(config.outDir, options.overwrite);

  // Load (and check) the data before touching the disk: a bad dataset leaves no empty run directory.
  // Held in a variable the report step clears: see below.
  let loaded: { data: RunData; dataset: DatasetIdentity } | null = await loadRunData(
    config,
    checkpoint,
    options.data,
    options.memory,
  );
  if ('testNote' in loaded.data && loaded.data.testNote) options.hooks?.onMessage?.(loaded.data.testNote);
  // A small tabular set trains on every row (a continued run keeps what its checkpoint says).
  const small = tabular && !checkpoint ? smallSetConfig(config, input, loaded.data.train.count) : null;
  if (small) {
    config = small.config;
    options.hooks?.onMessage?.(small.message);
  }
  checkDevSize(config, loaded.data.train.count);
  // The dev split's size as this data makes it, kept in the checkpoint: a continued run compares
  // sizes, not "default" with a number.
  config = { ...config, devSize: devSizeFor(config, loaded.data.train.count) };
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

/** Options left out take {@link TABULAR_DEFAULTS} on tabular data. */
function withTabularDefaults(input: TrainConfigInput): TrainConfigInput {
  const given = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
  // Initial widths alone: those widths, not grown (MNIST's default of 512 would not suit rows).
  const hidden = given.hidden ?? given.initialHidden ?? TABULAR_DEFAULTS.hidden;
  return { ...TABULAR_DEFAULTS, hidden: hidden as number[] | undefined, ...given };
}

/** The data options fit together: images (bundled or a directory), a CSV file, or arrays. */
function checkDataOptions(
  config: TrainConfig,
  input: TrainConfigInput,
  arrays: TabularData | undefined,
): void {
  const tabular = arrays !== undefined || config.csv !== undefined;
  if (config.csv !== undefined && config.dataDir !== undefined)
    throw new ConfigError(
      'csv',
      'cannot go with {dataDir}: give one data set, a CSV file or a directory of IDX files',
    );
  if (arrays && (config.csv !== undefined || config.dataDir !== undefined))
    throw new ConfigError(
      config.csv !== undefined ? 'csv' : 'dataDir',
      'cannot go with in-memory data (the data option)',
    );
  if (config.classes !== undefined && config.dataDir === undefined)
    throw new ConfigError(
      'classes',
      tabular
        ? 'applies to a {dataDir} dataset; tabular data has the classes its labels show'
        : 'applies to a {dataDir} dataset; the bundled MNIST has its 10 classes',
    );
  if (config.csv === undefined) {
    const stray = config.label !== undefined ? 'label' : config.testCsv !== undefined ? 'testCsv' : null;
    if (stray) throw new ConfigError(stray, 'applies to a {csv} file');
  }
  if (tabular && input.augment)
    throw new ConfigError('augment', 'warps images: it does not apply to feature rows');
  if (!tabular && config.task === 'regression')
    throw new ConfigError(
      'task',
      'regression applies to rows of features ({csv} or in-memory data), not images',
    );
}

/**
 * The run's data: loaded, checked against a resumed checkpoint, limited as the config asks (the
 * dev split's size is checked by the caller, which may still change the config for small sets).
 */
async function loadRunData(
  config: TrainConfig,
  checkpoint: Checkpoint | null,
  arrays: TabularData | undefined,
  memory: MemoryWatch | undefined,
): Promise<{ data: RunData; dataset: DatasetIdentity }> {
  if (arrays || config.csv !== undefined) {
    const watch = memory ?? new MemoryWatch({ budget: `${config.maxMemoryPercent}%` });
    const budget = {
      bytes: watch.headroom() / 2,
      why: `in half the memory left under the budget (--max-memory-percent ${config.maxMemoryPercent})`,
    };
    const loaded = await loadTabularData(config, arrays, budget);
    checkSameData(config, checkpoint, loaded.dataset);
    return loaded;
  }
  if (checkpoint?.state.dataset?.source === 'arrays')
    throw new ConfigError('data', 'this run trained on in-memory rows: pass the same data to continue it');
  const full = await loadDataset({ dir: config.dataDir, classes: config.classes });
  const dataset = datasetIdentity(full, config.dataDir);
  checkSameData(config, checkpoint, dataset);
  const data = limit(full, config);
  // The training images, cropped to their ink boxes (MNIST: 18 MB instead of 47); the full set goes
  // out of scope here, so the run never holds both.
  return { data: { ...data, train: croppedImages(data.train) }, dataset };
}

/**
 * The identity of the data a run of `input` trains on, loaded and hashed as {@link train} does:
 * how `@sprout/tune`'s queue workers check that they see the coordinator's data (compare
 * `sha256`; `source` is a path on each machine).
 */
export async function identifyData(input: TrainConfigInput): Promise<DatasetIdentity> {
  const tabular = input.csv !== undefined;
  const config = absoluteDataDir(resolveConfig(tabular ? withTabularDefaults(input) : input));
  return (await loadRunData(config, null, undefined, undefined)).dataset;
}

function checkSameData(config: TrainConfig, checkpoint: Checkpoint | null, dataset: DatasetIdentity): void {
  if (checkpoint?.state.dataset && checkpoint.state.dataset.sha256 !== dataset.sha256) {
    throw new DatasetMismatchError(
      `cannot continue: the data in ${dataset.source} changed since the checkpoint in ${config.outDir} was written`,
    );
  }
}

/**
 * A run's data: images (the training set cropped, see croppedImages, the test set as loaded) or
 * standardised feature rows.
 */
export type RunData = (Omit<ImageDataset, 'train'> & { train: CroppedImages }) | TabularRunData;

/** Data paths as absolute ones, so a run can be continued or evaluated from any directory. */
function absoluteDataDir<T extends { dataDir?: string; csv?: string; testCsv?: string }>(config: T): T {
  const out = { ...config };
  for (const key of ['dataDir', 'csv', 'testCsv'] as const)
    if (typeof out[key] === 'string') out[key] = resolve(out[key] as string) as T[typeof key];
  return out;
}

/**
 * One run: resources (backend, memory watch), the model and its TrainingLoop, the loop's epochs
 * (epoch 0 first for a new run), then the outputs (best model, metrics, history, memory) — and one
 * cleanup path for everything it started, whatever happened. Returns the report job, which
 * train() renders once the run's data is gone.
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
    inputs: inputsOf(data.train),
    outputs: data.classes,
  });
  try {
    // A checkpoint on disk to name when the run fails: the resumed one, or the first one saved.
    let saved = checkpoint !== null;
    const loop = prepareRun(resources, config, data, dataset, checkpoint, hooks, () => {
      saved = true;
    });
    const ending = await trainEpochs(loop, hooks, () => saved);
    resources.memory.stop();
    return await writeRunOutputs({
      session: loop.session,
      backend: resources.backend,
      config,
      data,
      history: loop.history,
      bestModel: loop.bestModel,
      memory: resources.memory,
      interrupted: ending.interrupted,
      stoppedEarly: ending.stoppedEarly,
      wallSeconds: loop.elapsed(),
      backendReport: resources.backendReport,
      modelMetadata: loop.modelMetadata,
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

/** Phase 1: the model (new or from the checkpoint) and its TrainingLoop (whose run starts with epoch 0 for a new run). */
function prepareRun(
  resources: RunResources,
  config: TrainConfig,
  data: RunData,
  dataset: DatasetIdentity,
  checkpoint: Checkpoint | null,
  hooks: TrainHooks,
  onSaved: () => void,
): TrainingLoop {
  const inputs = inputsOf(data.train);
  if (checkpoint) {
    resources.session = restoreSession(resources.backend, checkpoint.state, checkpoint.blobs, config);
    const expected = resources.session.model.widths[0];
    if (expected !== inputs)
      throw new DatasetMismatchError(
        `cannot continue: ${isFeatureRows(data.train) ? `the rows have ${inputs} features` : `the images are ${data.train.rows}×${data.train.cols} (${inputs} pixels)`} but the model in ${config.outDir} takes ${expected}`,
      );
  } else {
    resources.session = newSession(resources.backend, config, inputs, data.classes);
  }
  const session = resources.session;
  const state = checkpoint?.state;
  const loop: TrainingLoop = new TrainingLoop({
    config,
    session,
    data,
    memory: resources.memory,
    modelMetadata: {
      ...inputMetadata(data, config),
      classes: session.model.widths[session.model.widths.length - 1],
      dataset,
      ...(data.classNames ? { classNames: data.classNames } : {}),
    },
    resumeFrom:
      checkpoint && state
        ? {
            epoch: state.epoch,
            history: state.history,
            batchSize: resumedBatchSize(state, config),
            elapsedSeconds: state.elapsedSeconds,
            earlyStopping: state.earlyStopping,
            batchInEpoch: state.batchInEpoch,
            partial: state.partial,
            bestModel: checkpoint.blobs.bestModel ?? null,
          }
        : undefined,
    onCheckpoint: (progress) => {
      saveCheckpoint(config, dataset, loop, progress);
      onSaved();
    },
    collectGarbage,
  });
  resources.memory.start();
  hooks.onStart?.({
    backendReport: resources.backendReport,
    config,
    resumedFromEpoch: checkpoint ? loop.epoch : null,
    trainSize: loop.split.train.length,
  });
  if (checkpoint && loop.epoch >= config.epochs)
    hooks.onMessage?.(
      `the run already has ${loop.epoch} epochs (--epochs ${config.epochs}): nothing to train; give a larger --epochs to go on`,
    );
  return loop;
}

/** What a saved model says of its input: an image size, or its features and their standardisation. */
function inputMetadata(data: RunData, config: TrainConfig) {
  if (!isFeatureRows(data.train)) return { input: { rows: data.train.rows, cols: data.train.cols } };
  const { standardization, target } = data as TabularRunData;
  return {
    input: { rows: 1, cols: data.train.features },
    ...(target ? { target } : {}),
    features: {
      names: data.train.featureNames,
      ...standardization,
      ...(config.label !== undefined ? { label: config.label } : {}),
    },
  };
}

/**
 * Phase 2: the loop's epochs, a checkpoint after each. A failure names the checkpoint that is
 * kept: nothing read from a diverged run or a lost GPU is saved.
 */
async function trainEpochs(
  loop: TrainingLoop,
  hooks: TrainHooks,
  hasCheckpoint: () => boolean,
): Promise<LoopOutcome> {
  try {
    return await loop.run(hooks);
  } catch (error) {
    const { outDir } = loop.config;
    if (error instanceof TrainingDivergedError)
      throw new TrainingDivergedError(
        `${error.message}. The checkpoint of epoch ${loop.epoch} in ${outDir} is kept`,
        { cause: error },
      );
    if (!(error instanceof GpuContextLostError)) throw error;
    // Lost while evaluating a new run's untrained network: nothing was saved to continue.
    if (!hasCheckpoint())
      throw new BackendLostError(
        `${error.message}, before the run's first checkpoint: run again (with --backend cpu to leave the GPU)`,
        { cause: error },
      );
    throw new BackendLostError(
      `${error.message}, in epoch ${loop.epoch + 1}; the checkpoint of epoch ${loop.epoch} in ${outDir} is kept: ` +
        'run again with --continue-training (with --backend cpu to leave the GPU)',
      { cause: error },
    );
  }
}

/** The checkpoint of where the run is now (atomically replacing the previous one). */
function saveCheckpoint(
  config: TrainConfig,
  dataset: DatasetIdentity,
  loop: TrainingLoop,
  progress: LoopProgress,
): void {
  const { session } = loop;
  const state: CheckpointState = {
    config,
    epoch: progress.epoch,
    batchInEpoch: progress.batchInEpoch,
    partial: progress.partial,
    history: progress.history,
    rngState: session.rng.state(),
    earlyStopping: progress.earlyStopping,
    optimizerSteps: session.optimizer.steps,
    elapsedSeconds: progress.elapsedSeconds,
    batchSize: progress.batchSize,
    dataset,
  };
  writeCheckpoint(checkpointPath(config.outDir), state, {
    ...sessionBlobs(session),
    ...(progress.bestModel ? { bestModel: progress.bestModel } : {}),
  });
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
  const saved = listWidths(state.config);
  const explicit = Object.fromEntries(
    Object.entries(absoluteDataDir(input as Record<string, unknown> & { dataDir?: string })).filter(
      ([, v]) => v !== undefined,
    ),
  );
  // Checkpoints from before a field existed hold its value implicitly: resolve them the same way.
  const before = resolveConfig(saved);
  // A kept option given anew is named as such before the options are checked together (a monitor
  // changed from train-loss would otherwise read as a bad devSize).
  for (const key of FIXED_ON_RESUME) if (key in explicit) keepOnResume(key, before[key], explicit[key]);
  // The thread count is the machine's business, not the run's: a continued run takes today's.
  const merged = resolveConfig({ ...before, threads: undefined, ...explicit });
  for (const key of FIXED_ON_RESUME) keepOnResume(key, before[key], merged[key]);
  return merged;
}

/** Refuses a change of an option a continued run keeps (see `fixedOnResume`). */
function keepOnResume(key: string, was: unknown, now: unknown): void {
  if (JSON.stringify(now) === JSON.stringify(was)) return;
  throw new ConfigError(
    key,
    `was ${JSON.stringify(was)} in the checkpoint, now ${JSON.stringify(now)}: a continued run keeps it (start a new run to change it)`,
  );
}

/**
 * A checkpoint's config with its widths as lists only. Checkpoints from before widths were lists
 * only hold the first layer's as numbers too (then always hidden[0] and initialHidden[0]); older
 * ones, from before several layers, hold only the numbers: those become one-layer lists.
 */
function listWidths(saved: CheckpointState['config']): Record<string, unknown> {
  const { finalHiddenSize, initialHiddenSize, ...rest } = saved as CheckpointState['config'] & {
    finalHiddenSize?: number;
    initialHiddenSize?: number;
  };
  return {
    ...rest,
    hidden: rest.hidden ?? (finalHiddenSize === undefined ? undefined : [finalHiddenSize]),
    initialHidden: rest.initialHidden ?? (initialHiddenSize === undefined ? undefined : [initialHiddenSize]),
  };
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
