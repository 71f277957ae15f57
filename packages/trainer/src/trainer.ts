import { mkdirSync } from 'node:fs';
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
import { CheckpointError, ConfigError } from './errors.js';
import type { TrainHooks } from './events.js';
import type { EpochRecord, TrainResult } from './history.js';
import { type EpochSums, runEpoch } from './runEpoch.js';
import { newSession, restoreSession, type Session } from './session.js';
import { writeRunOutputs } from './writeRunOutputs.js';

/** Options of {@link train}. */
export interface TrainOptions {
  hooks?: TrainHooks;
  /** Continue from the checkpoint in `outDir` (the CLI's --continue-training). */
  resume?: boolean;
}

// Changing these would make a checkpoint mean something else; the rest may change on resume.
const FIXED_ON_RESUME = [
  'seed',
  'initialHiddenSize',
  'finalHiddenSize',
  'growthEpochs',
  'dataDir',
  'trainLimit',
  'devSize',
] as const;

/**
 * Trains a growing MLP from chance to its best dev accuracy: epoch-0 evaluation, then per epoch
 * growth, learning rate, batches, Adam steps, evaluation, early stopping and an atomic checkpoint;
 * at the end the best weights, test metrics, plots and report in `outDir`.
 *
 * @example
 * ```ts
 * const result = await train({ epochs: 20, outDir: 'runs/demo' }, { hooks: { onEpoch: (r) => console.log(r) } });
 * console.log(result.testAccuracy);
 * ```
 */
export async function train(input: TrainConfigInput = {}, options: TrainOptions = {}): Promise<TrainResult> {
  const hooks = options.hooks ?? {};
  let config = resolveConfig(input);
  const file = checkpointPath(config.outDir);
  const checkpoint = options.resume ? readCheckpoint(file) : null;
  if (checkpoint) config = resumedConfig(checkpoint.state.config, input);
  mkdirSync(config.outDir, { recursive: true });

  const { backend, report: backendReport } = await createBackend({ backend: config.backend });
  const data = limit(await loadDataset({ dir: config.dataDir }), config);
  if (config.devSize >= data.train.count) {
    throw new ConfigError('devSize', `must be smaller than the ${data.train.count} training images`);
  }
  const split = stratifiedSplit(data.train.labels, config.devSize, config.seed);
  const pixels = data.train.rows * data.train.cols;
  const session: Session = checkpoint
    ? restoreSession(backend, checkpoint.state, checkpoint.blobs)
    : newSession(backend, config, pixels, data.classes);
  const devImages = gatherImages(data.train.images, split.dev, pixels);
  const devLabels = gatherImages(data.train.labels, split.dev, 1);

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
  const memory = new MemoryWatch({ budget: `${config.maxMemoryPercent}%` });
  memory.start();

  const history: EpochRecord[] = checkpoint?.state.history ?? [];
  let bestModel: Uint8Array | null = checkpoint?.blobs.bestModel ?? null;
  if (checkpoint) stopper.setState(checkpoint.state.earlyStopping);
  const startedAt = performance.now() - (checkpoint?.state.elapsedSeconds ?? 0) * 1000;
  const elapsed = () => (performance.now() - startedAt) / 1000;
  let batchSize = checkpoint?.state.batchSize ?? config.batchSize;
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
    const dev = evaluate(session.model, devImages, devLabels, split.dev.length, pixels);
    const test = evaluate(session.model, data.test.images, data.test.labels, data.test.count, pixels);
    return { dev, test };
  };
  const save = (state: Partial<CheckpointState> = {}) =>
    writeCheckpoint(
      file,
      snapshot(session, config, {
        epoch,
        history,
        batchSize,
        elapsedSeconds: elapsed(),
        earlyStopping: stopper.state(),
        ...state,
      }),
      {
        ...sessionBlobs(session),
        ...(bestModel ? { bestModel } : {}),
      },
    );

  if (!checkpoint) {
    // Epoch 0: the untrained network, at chance.
    const { dev, test } = evaluateAll();
    history.push(record(0, null, dev, test.accuracy, 0, session, batchSize, 0, elapsed()));
    hooks.onEpoch?.(history[0]);
    save();
  }

  let stoppedEarly = false;
  let interrupted = false;
  while (epoch < config.epochs) {
    const e = epoch + 1;
    const target = width(e - 1);
    if (target > session.model.widths[1]) {
      for (const g of grow(session.model, 0, target, { strategy: config.growthStrategy, rng: session.rng })) {
        session.optimizer.grow(g.param, g.map, g.oldShape);
      }
      session.optimizer.setParameters(session.model.parameters());
      hooks.onMessage?.(`epoch ${e}: hidden layer grew to ${target} units`);
    }
    const lr = learningRate(e - 1);
    memory.setPhase(`epoch ${e} train`);
    const outcome = await runEpoch({
      session,
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
    epoch = e;
    skip = 0;
    const { dev, test } = evaluateAll();
    const rec = record(
      epoch,
      outcome.sums,
      dev,
      test.accuracy,
      lr,
      session,
      batchSize,
      outcome.sums.seconds,
      elapsed(),
    );
    history.push(rec);
    const decision = stopper.update(epoch, dev.accuracy);
    if (decision.improved) bestModel = saveModel(session.model);
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

  const result = await writeRunOutputs({
    session,
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
  });
  session.optimizer.dispose();
  session.model.dispose();
  backend.dispose();
  return result;
}

function resumedConfig(saved: TrainConfig, input: TrainConfigInput): TrainConfig {
  const explicit = Object.fromEntries(
    Object.entries(input as Record<string, unknown>).filter(([, v]) => v !== undefined),
  );
  const merged = resolveConfig({ ...saved, ...explicit });
  for (const key of FIXED_ON_RESUME) {
    if (merged[key] !== saved[key]) {
      throw new CheckpointError(
        `cannot continue: ${key} was ${JSON.stringify(saved[key])} in the checkpoint, now ${JSON.stringify(merged[key])}`,
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
