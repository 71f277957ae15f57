// The demo's training run: `sprout train`'s defaults (the growing network, 256 → 512 hidden units
// over 4 epochs, Adam 2e-3 with warmup and decay, augmentation, early stopping) on the full MNIST,
// through the same loop as `train()` (@sprout/trainer/core), evaluated on dev and test after every
// epoch. The same code runs in the Web Worker (cpu backend) and, for `?backend=gpu`, on the page.
import { croppedImages, type LabeledImages } from '@sprout/data-mnist/browser';
import { denseStack, toTfjs } from '@sprout/export';
import { probabilities, saveModel } from '@sprout/layers';
import type { Backend } from '@sprout/tensor';
import { newSession, resolveConfig, TrainingLoop } from '@sprout/trainer/core';

export interface DemoData {
  train: LabeledImages;
  test: LabeledImages;
}

/** What the page hears while training. */
export type TrainingEvent =
  | { type: 'batch'; epoch: number; batch: number; batches: number; loss: number; samplesPerSecond: number }
  | {
      type: 'epoch';
      epoch: number;
      trainLoss: number;
      devAccuracy: number;
      testAccuracy: number;
      width: number;
      samplesPerSecond: number;
      seconds: number;
    }
  | { type: 'message'; text: string };

export class DemoTraining {
  private readonly loop: TrainingLoop;
  private paused: (() => void) | null = null;
  private pauseAsked = false;
  /** Seconds of training so far (paused time excluded). */
  seconds = 0;

  constructor(
    readonly backend: Backend,
    data: DemoData,
    seed = 42,
    /** Train on only the first `limit` training digits (0: all). */
    limit = 0,
  ) {
    const config = resolveConfig({
      seed,
      trainLimit: limit,
      backend: backend.name === 'gpu' ? 'gpu' : 'cpu',
    });
    this.loop = new TrainingLoop({
      config,
      session: newSession(backend, config, 784, 10),
      // Cropped to their ink boxes, as train() keeps them: 18 MB instead of 47.
      data: { train: croppedImages(data.train), test: data.test, classes: 10 },
      modelMetadata: { input: { rows: 28, cols: 28 }, classes: 10 },
    });
  }

  get epoch(): number {
    return this.loop.epoch;
  }

  get hiddenWidth(): number {
    return this.loop.session.model.widths[1];
  }

  pause(): void {
    this.pauseAsked = true;
  }

  resume(): void {
    this.pauseAsked = false;
    this.paused?.();
    this.paused = null;
  }

  /** Trains until `epochs` are done (or early stopping); `pause()` holds it until `resume()`. */
  async train(epochs: number, on: (event: TrainingEvent) => void, onPaused?: () => void): Promise<void> {
    await this.loop.run(
      {
        onBatch: (p) =>
          on({
            type: 'batch',
            epoch: p.epoch,
            batch: p.batch,
            batches: p.batches,
            loss: p.loss,
            samplesPerSecond: p.samplesPerSecond,
          }),
        onEpoch: (r) => {
          if (r.epoch === 0) return;
          this.seconds += r.seconds;
          on({
            type: 'epoch',
            epoch: r.epoch,
            trainLoss: r.trainLoss ?? Number.NaN,
            // The demo's MNIST run always holds out a dev split; NaN would show a missing one.
            devAccuracy: r.devAccuracy ?? Number.NaN,
            testAccuracy: r.testAccuracy ?? Number.NaN,
            width: r.hiddenSize,
            samplesPerSecond: r.samplesPerSecond,
            seconds: this.seconds,
          });
        },
        onMessage: (text) => on({ type: 'message', text }),
        pausePoint: () => {
          if (!this.pauseAsked) return undefined;
          return new Promise<void>((resolve) => {
            this.paused = resolve;
            onPaused?.();
          });
        },
      },
      epochs,
    );
  }

  /** Class probabilities of one 28×28 MNIST-style image. */
  predict(image: Uint8Array): Float32Array {
    return probabilities(this.loop.session.model, image, 1, 784);
  }

  /** The model as a Sprout model file (`model.sprout`) and a TF.js Layers model. */
  modelFiles(): { sprout: Uint8Array; tfjsModelJson: string; tfjsWeights: Uint8Array } {
    const { model } = this.loop.session;
    const tfjs = toTfjs(denseStack(model, false), 'Sprout docs demo');
    return {
      sprout: saveModel(model, this.loop.modelMetadata),
      tfjsModelJson: tfjs.modelJson,
      tfjsWeights: tfjs.weights,
    };
  }
}
