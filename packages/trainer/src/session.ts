import { createMlp, loadModel, type Sequential, withDropout } from '@sprout/layers';
import { Adam, type Optimizer } from '@sprout/optim';
import { type Backend, Random } from '@sprout/tensor';
import type { CheckpointBlobs, CheckpointState } from './checkpoint.js';
import type { TrainConfig } from './config.js';
import { CheckpointError } from './errors.js';
import { bytesToFloats } from './floatBytes.js';

/** The mutable objects of a run: model, optimizer and the RNG that growth draws from. */
export interface Session {
  model: Sequential;
  optimizer: Optimizer;
  rng: Random;
}

/** Where a checkpoint keeps one optimizer state array. */
export function optimizerBlobName(parameter: string, slot: string): string {
  return `optimizer/${parameter}/${slot}`;
}

/** A fresh network at the initial widths. */
export function newSession(backend: Backend, config: TrainConfig, inputs: number, classes: number): Session {
  const rng = new Random(config.seed);
  const model = createMlp(backend, {
    inputs,
    hidden: config.initialHidden,
    outputs: classes,
    rng,
    dropout: config.dropout,
  });
  return { model, optimizer: newOptimizer(model, config), rng };
}

/** Adam, or AdamW when the config has weight decay. */
function newOptimizer(model: Sequential, config: TrainConfig): Optimizer {
  return new Adam(model.parameters(), { lr: config.learningRate, weightDecay: config.weightDecay });
}

/** Rebuilds the model, optimizer and RNG exactly as a checkpoint saved them. */
export function restoreSession(
  backend: Backend,
  state: CheckpointState,
  blobs: CheckpointBlobs,
  config: TrainConfig,
): Session {
  if (!blobs.model) throw new CheckpointError('checkpoint has no model');
  const rng = new Random(0);
  rng.setState(state.rngState);
  // Dropout and weight decay act only while training: they come from the config, which may change them.
  const model = withDropout(loadModel(backend, blobs.model, 'checkpoint model'), config.dropout, rng);
  const optimizer = newOptimizer(model, config);
  // The optimizer's state, by the slot names it declares (optimizer/<parameter>/<slot> blobs).
  const slots: Record<string, Record<string, Float32Array>> = {};
  for (const p of model.parameters()) {
    slots[p.name] = {};
    for (const slot of optimizer.slotNames) {
      const blob = blobs[optimizerBlobName(p.name, slot)];
      if (!blob) throw new CheckpointError(`checkpoint lacks optimizer state ${p.name}/${slot}`);
      slots[p.name][slot] = bytesToFloats(blob);
    }
  }
  try {
    optimizer.loadState({ kind: optimizer.kind, step: state.optimizerSteps, slots });
  } catch (error) {
    throw new CheckpointError(
      `checkpoint optimizer state does not fit the model: ${(error as Error).message}`,
    );
  }
  return { model, optimizer, rng };
}
