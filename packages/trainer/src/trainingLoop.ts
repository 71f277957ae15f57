// Types from the main entry (what TypeScript projects without subpath exports resolve), values from
// the browser entry (no Node module).
import { stratifiedSplit } from '@sprout/data-mnist/browser';
import { grow, type ModelMetadata, saveModel } from '@sprout/layers';
import type { MemoryWatch } from '@sprout/memwatch';
import { EarlyStopping, growthSchedule, type Schedule } from '@sprout/schedule';
import type { TrainConfig } from './configTypes.js';
import { ConfigError, TrainingDivergedError } from './errors.js';
import type { TrainHooks } from './events.js';
import {
  evaluateExamples,
  type FeatureRows,
  firstExamples,
  gatherExamples,
  type ImageRows,
  inputsOf,
  type TrainRows,
} from './examples.js';
import type { EpochRecord } from './history.js';
import { learningRateSchedule } from './learningRateSchedule.js';
import { monitoredFigure, monitorMode, monitorName } from './monitor.js';
import { type EpochSums, runEpoch } from './runEpoch.js';
import { residentMB } from './runtime.js';
import type { Session } from './session.js';

/** What the loop trains and evaluates on: images, or rows of float features (tabular data). */
export interface LoopData {
  /**
   * The training images, cropped to their ink boxes (`croppedImages`), or feature rows (as the
   * model takes them: standardised); dev is carved from them.
   */
  train: TrainRows;
  /** The test set, of the same kind, evaluated after every epoch when `evaluateTest` is on. */
  test: ImageRows | FeatureRows;
  classes: number;
}

/**
 * What the loop asks of a memory watch: `MemoryWatch` from `@sprout/memwatch`, or nothing (a
 * browser) — then batches keep their size and no budget is checked.
 */
export interface LoopMemory {
  /** Samples memory now. */
  check(): unknown;
  /** Throws when memory is past the budget's critical level. */
  assertWithinBudget(): void;
  adviseBatchSize: MemoryWatch['adviseBatchSize'];
  /** Bytes left for training under the budget. */
  headroom(): number;
  setPhase(phase: string): void;
}

/** Where an earlier run stopped (from its checkpoint). */
export interface LoopProgress {
  /** Epochs finished. */
  epoch: number;
  history: EpochRecord[];
  batchSize: number;
  elapsedSeconds: number;
  earlyStopping: { best: number | null; bestEpoch: number; wait: number };
  /** Batches of the next epoch already trained before an interruption, and their sums. */
  batchInEpoch: number;
  partial: EpochSums | null;
  /** The best weights so far, as `saveModel` wrote them. */
  bestModel: Uint8Array | null;
}

/** What the loop is given: everything but files. */
export interface TrainingLoopOptions {
  config: TrainConfig;
  session: Session;
  data: LoopData;
  /** Continue from here (else a new run, which starts with the untrained network's epoch 0). */
  resumeFrom?: LoopProgress;
  memory?: LoopMemory;
  /** What `saveModel` stores with the best weights (input shape, classes, dataset…). */
  modelMetadata?: ModelMetadata;
  /**
   * Called where the run should be saved: after epoch 0, after every epoch, and at an
   * interruption (mid-epoch: with the batches done and their sums). `train()` writes a checkpoint.
   */
  onCheckpoint?(progress: LoopProgress): void;
  /** A full garbage collection, where the runtime gives one (after growth and each epoch). */
  collectGarbage?(): void;
}

/** How a call of {@link TrainingLoop.run} ended. */
export interface LoopOutcome {
  interrupted: boolean;
  stoppedEarly: boolean;
}

/** A train loss this many times the untrained network's loss means the run has blown up. */
const EXPLODED_LOSS_FACTOR = 10;

/** No memory watch: the batch size stays, nothing is checked. */
const NO_MEMORY_WATCH: LoopMemory = {
  check: () => undefined,
  assertWithinBudget: () => {},
  adviseBatchSize: (current) => current,
  headroom: () => Number.POSITIVE_INFINITY,
  setPhase: () => {},
};

/**
 * The training loop without files: epoch-0 evaluation, then per epoch growth, learning rate,
 * batches and Adam steps, dev (and test) evaluation, divergence checks, early stopping and the
 * best weights. `train()` runs it with checkpoints, locks, memory budgets and reports around it;
 * the docs demo runs it in a browser.
 *
 * @example
 * ```ts
 * const config = resolveConfig({ epochs: 5 });
 * const session = newSession(backend, config, 784, 10);
 * const loop = new TrainingLoop({ config, session, data: { train: croppedImages(train), test, classes: 10 } });
 * await loop.run({ onEpoch: (r) => console.log(r.epoch, r.devAccuracy) });
 * ```
 */
export class TrainingLoop {
  readonly config: TrainConfig;
  readonly session: Session;
  /**
   * The stratified train/dev split of the training images (by `seed`); `dev` is empty with
   * `monitor: 'train-loss'`, which trains on every image.
   */
  readonly split: { train: Int32Array; dev: Int32Array };
  /** Epochs finished. */
  epoch: number;
  readonly history: EpochRecord[];
  /** The best weights so far (`saveModel` bytes), null before the first epoch. */
  bestModel: Uint8Array | null;
  /** The micro-batch size the next epoch starts with (memory may have lowered it). */
  batchSize: number;
  /** What `saveModel` stores with the best weights. */
  readonly modelMetadata: ModelMetadata;
  private readonly data: LoopData;
  private readonly test: LoopData['test'];
  private readonly memory: LoopMemory;
  /** Null when no dev split is held out. */
  private readonly dev: ImageRows | FeatureRows | null;
  /** Values an example: pixels or features. */
  private readonly inputs: number;
  private readonly learningRate: Schedule;
  private readonly widths: (epoch: number) => number[];
  private readonly stopper: EarlyStopping;
  private readonly options: TrainingLoopOptions;
  private skip: number;
  private sums: EpochSums;
  /** When the run started, moved on by the time paused (so `elapsed` is time spent training). */
  private startedAt: number;

  constructor(options: TrainingLoopOptions) {
    const { config, session, data, resumeFrom } = options;
    this.options = options;
    this.config = config;
    this.session = session;
    this.data = data;
    this.memory = options.memory ?? NO_MEMORY_WATCH;
    this.modelMetadata = options.modelMetadata ?? {};
    // trainLimit and testLimit: the first images only (train() has cut them already).
    const trainCount = config.trainLimit ? Math.min(config.trainLimit, data.train.count) : data.train.count;
    checkDevSize(config, trainCount);
    this.inputs = inputsOf(data.train);
    this.test = firstExamples(data.test, config.testLimit || data.test.count, this.inputs);
    const dev = devSizeFor(config, trainCount);
    this.split = stratifiedSplit(data.train.labels.subarray(0, trainCount), dev, config.seed);
    this.dev = dev > 0 ? gatherExamples(data.train, this.split.dev) : null;
    this.learningRate = learningRateSchedule(config);
    this.widths = layerWidths(config);
    this.stopper = new EarlyStopping({
      patience: config.patience || Number.POSITIVE_INFINITY,
      minDelta: config.minDelta,
      mode: monitorMode(config.monitor),
    });
    if (resumeFrom) this.stopper.setState(resumeFrom.earlyStopping);
    this.epoch = resumeFrom?.epoch ?? 0;
    this.history = resumeFrom?.history ?? [];
    this.bestModel = resumeFrom?.bestModel ?? null;
    this.batchSize = resumeFrom?.batchSize ?? config.batchSize;
    this.skip = resumeFrom?.batchInEpoch ?? 0;
    this.sums = resumeFrom?.partial ?? emptySums();
    this.startedAt = performance.now() - (resumeFrom?.elapsedSeconds ?? 0) * 1000;
  }

  /** Wall seconds of the run so far (earlier sessions' included when resumed, pauses not). */
  elapsed(): number {
    return (performance.now() - this.startedAt) / 1000;
  }

  /** Where the run is now, as a checkpoint keeps it. */
  progress(mid: { batchInEpoch: number; partial: EpochSums } | null = null): LoopProgress {
    return {
      epoch: this.epoch,
      history: this.history,
      batchSize: this.batchSize,
      elapsedSeconds: this.elapsed(),
      earlyStopping: this.stopper.state(),
      batchInEpoch: mid?.batchInEpoch ?? 0,
      partial: mid?.partial ?? null,
      bestModel: this.bestModel,
    };
  }

  /**
   * Trains until `epochs` epochs are done (default: the config's), early stopping says stop, or
   * `hooks.shouldStop` interrupts; a new run evaluates the untrained network first (epoch 0).
   * Call again to go on: after an interruption from where it stopped, after early stopping or the
   * last epoch with a larger `epochs` (early stopping's patience then counts on from its state).
   */
  async run(hooks: TrainHooks = {}, epochs = this.config.epochs): Promise<LoopOutcome> {
    if (this.history.length === 0) {
      // Epoch 0: the untrained network, at chance.
      const { dev, test } = this.evaluateAll(0);
      this.history.push(
        this.epochRecord({
          epoch: 0,
          sums: null,
          dev,
          testAccuracy: test?.accuracy ?? null,
          learningRate: 0,
        }),
      );
      hooks.onEpoch?.(this.history[0]);
      this.options.onCheckpoint?.(this.progress());
    }
    while (this.epoch < epochs) {
      const ended = await this.trainEpoch(this.epoch + 1, hooks);
      if (ended) return ended;
    }
    return { interrupted: false, stoppedEarly: false };
  }

  /** One epoch; an outcome when the run ends with it, else null. */
  private async trainEpoch(e: number, hooks: TrainHooks): Promise<LoopOutcome | null> {
    const { config, session } = this;
    this.growTo(this.widths(e - 1), e, hooks);
    // The epoch's starting rate is what its record shows (cosine and one-cycle change per batch).
    const lr = this.learningRate(e - 1);
    this.memory.setPhase(`epoch ${e} train`);
    const outcome = await runEpoch({
      session,
      config,
      train: this.data.train,
      trainIndex: this.split.train,
      epoch: e,
      learningRate: this.learningRate,
      skip: this.skip,
      sums: this.sums,
      batchSize: this.batchSize,
      memory: this.memory,
      hooks,
      paused: (ms) => {
        this.startedAt += ms;
      },
    });
    this.batchSize = outcome.batchSize;
    if (outcome.interrupted) {
      // Where a later run() goes on from, as a checkpoint would (the same samples, not again).
      [this.skip, this.sums] = [outcome.batchesDone, outcome.sums];
      this.options.onCheckpoint?.(
        this.progress({ batchInEpoch: outcome.batchesDone, partial: outcome.sums }),
      );
      hooks.onMessage?.(`interrupted: saved a checkpoint after batch ${outcome.batchesDone} of epoch ${e}`);
      return { interrupted: true, stoppedEarly: false };
    }
    const trainLoss = outcome.sums.loss / Math.max(1, outcome.sums.seen);
    const { dev, test } = this.evaluateAll(e);
    this.checkDiverged(e, trainLoss, dev?.loss ?? null);
    this.epoch = e;
    this.skip = 0;
    const record = this.epochRecord({
      epoch: e,
      sums: outcome.sums,
      dev,
      testAccuracy: test?.accuracy ?? null,
      learningRate: lr,
    });
    this.history.push(record);
    // The monitored figure is there: a dev one has its split (config.ts), a trained epoch its loss.
    const decision = this.stopper.update(e, monitoredFigure(config.monitor, record) as number);
    // Into the previous best's buffer: a fresh 1.6 MB one an epoch fragmented the malloc heap.
    if (decision.improved)
      this.bestModel = saveModel(session.model, this.modelMetadata, {
        into: this.bestModel ?? undefined,
      });
    this.sums = emptySums();
    this.options.onCheckpoint?.(this.progress());
    this.options.collectGarbage?.();
    hooks.onEpoch?.(record);
    if (!decision.stop) return null;
    const best =
      config.monitor === 'dev-accuracy' ? `${(decision.best * 100).toFixed(2)}%` : decision.best.toFixed(4);
    hooks.onMessage?.(
      `early stopping: ${monitorName(config.monitor)} has not improved for ${config.patience} epochs (best ${best} at epoch ${decision.bestEpoch})`,
    );
    return { interrupted: false, stoppedEarly: true };
  }

  /** Grows each hidden layer to its scheduled width for epoch `e`, saying so. */
  private growTo(targets: number[], e: number, hooks: TrainHooks): void {
    const { session, config } = this;
    let grew = false;
    targets.forEach((target, layer) => {
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
    if (grew) this.options.collectGarbage?.();
  }

  /** Dev and test metrics of the model after `epoch` epochs (dev: null without a dev split). */
  private evaluateAll(epoch: number) {
    this.memory.setPhase(`epoch ${epoch} eval`);
    this.memory.check();
    const { model } = this.session;
    const dev = this.dev ? evaluateExamples(model, this.dev, this.inputs) : null;
    const { test } = this;
    const testMetrics =
      this.config.evaluateTest && test.count > 0 ? evaluateExamples(model, test, this.inputs) : null;
    return { dev, test: testMetrics };
  }

  /**
   * Non-finite values or an exploding loss stop the run before anything of this epoch is saved
   * (train() adds which checkpoint is kept).
   */
  private checkDiverged(epoch: number, trainLoss: number, devLoss: number | null): void {
    const reference = this.untrainedLoss();
    const what = !Number.isFinite(trainLoss)
      ? `train loss is ${trainLoss}`
      : devLoss !== null && !Number.isFinite(devLoss)
        ? `dev loss is ${devLoss}`
        : reference && trainLoss > EXPLODED_LOSS_FACTOR * reference.loss
          ? `train loss ${trainLoss.toFixed(1)} is over ${EXPLODED_LOSS_FACTOR}× ${reference.what} ${reference.loss.toFixed(2)}`
          : null;
    if (what === null) return;
    throw new TrainingDivergedError(
      `training diverged in epoch ${epoch}: ${what}; try a lower --learning-rate (now ${this.config.learningRate})`,
    );
  }

  /**
   * The loss an exploded run's is measured against: the untrained network's dev loss, or without
   * a dev split what stands for it — ln(classes), about an untrained softmax's cross-entropy, or
   * for a regression (whose untrained error depends on its data) the first epoch's training loss,
   * so epoch 1 is checked for non-finite values only. Both are in the history a checkpoint keeps.
   */
  private untrainedLoss(): { loss: number; what: string } | null {
    const untrained = this.history[0]?.devLoss;
    if (untrained !== undefined && untrained !== null)
      return { loss: untrained, what: "the untrained network's" };
    if (this.config.task !== 'regression')
      return { loss: Math.log(this.data.classes), what: `an untrained network's ln ${this.data.classes} =` };
    const first = this.history[1]?.trainLoss;
    return first === undefined || first === null ? null : { loss: first, what: "the first epoch's" };
  }

  /** The history entry of an epoch (epoch 0: the untrained network, `sums` null). */
  private epochRecord(e: {
    epoch: number;
    sums: EpochSums | null;
    dev: { loss: number; accuracy: number } | null;
    testAccuracy: number | null;
    learningRate: number;
  }): EpochRecord {
    const { sums } = e;
    const seconds = sums?.seconds ?? 0;
    const { widths } = this.session.model;
    return {
      epoch: e.epoch,
      trainLoss: sums ? sums.loss / Math.max(1, sums.seen) : null,
      trainAccuracy: sums ? sums.correct / Math.max(1, sums.seen) : null,
      devLoss: e.dev?.loss ?? null,
      devAccuracy: e.dev?.accuracy ?? null,
      testAccuracy: e.testAccuracy,
      learningRate: e.learningRate,
      hiddenSize: widths[1],
      hiddenSizes: widths.slice(1, -1),
      batchSize: this.batchSize,
      seconds,
      elapsed: this.elapsed(),
      samplesPerSecond: sums && seconds > 0 ? sums.seen / seconds : 0,
      rssMB: residentMB(),
    };
  }
}

/** The most images the default dev split holds: MNIST's 60,000 give this many. */
const MAX_DEFAULT_DEV = 5000;

/**
 * The dev split's size: none for `monitor: 'train-loss'`, else the config's, else a twelfth of
 * the training images, at most 5,000.
 */
export function devSizeFor(config: TrainConfig, trainImages: number): number {
  if (config.monitor === 'train-loss') return 0;
  return config.devSize ?? Math.min(MAX_DEFAULT_DEV, Math.max(1, Math.round(trainImages / 12)));
}

/** The dev split is carved from the training images: it must leave some to train on. */
export function checkDevSize(config: TrainConfig, trainImages: number): void {
  const dev = devSizeFor(config, trainImages);
  if (dev < trainImages) return;
  throw new ConfigError(
    'devSize',
    config.devSize === undefined
      ? `is ${dev} by default (a twelfth of the training images), but there are only ${trainImages}: too few to hold out a dev split and train on the rest`
      : `is ${dev} but must be smaller than the ${trainImages} training images: lower it`,
  );
}

function emptySums(): EpochSums {
  return { loss: 0, correct: 0, seen: 0, seconds: 0 };
}

/** Each hidden layer's width by epoch: the growth schedule, layer by layer. */
function layerWidths(config: TrainConfig): (epoch: number) => number[] {
  const schedules = config.hidden.map((final, i) =>
    growthSchedule({ initial: config.initialHidden[i], final, growthEpochs: config.growthEpochs }),
  );
  return (epoch) => schedules.map((width) => width(epoch));
}
