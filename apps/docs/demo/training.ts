// The demo's training run: the default growing network (256 → 512 hidden units over 4 epochs,
// Adam 2e-3 with decay, augmentation) on the full MNIST, evaluated on dev and test after every
// epoch. The same code runs in the Web Worker (cpu backend) and, for `?backend=gpu`, on the page.
import { Batches, type LabeledImages, stratifiedSplit } from '@sprout/data-mnist/browser';
import { denseStack, toTfjs } from '@sprout/export';
import { createMlp, evaluate, grow, probabilities, SoftmaxCrossEntropy, saveModel } from '@sprout/layers';
import { Adam } from '@sprout/optim';
import { growthSchedule, warmupDecay } from '@sprout/schedule';
import { type Backend, CpuBackend, LossSums, Random, SparseRows } from '@sprout/tensor';

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
    };

const BATCH = 128;
const DEV = 5000;
/** How often the loop lets messages (pause, predict) in. */
const YIELD_MS = 50;

export class DemoTraining {
  private readonly model;
  private readonly adam;
  private readonly rng: Random;
  private readonly width = growthSchedule({ initial: 256, final: 512, growthEpochs: 4 });
  private readonly lr = warmupDecay({ lr0: 2e-3, warmup: 1, decay: 0.5, decayPatience: 5 });
  private readonly split: { train: Int32Array; dev: Int32Array };
  private readonly devImages: Uint8Array;
  private readonly devLabels: Uint8Array;
  private paused: (() => void) | null = null;
  private pauseAsked = false;
  /** Seconds of training so far (paused time excluded). */
  seconds = 0;
  epoch = 0;

  constructor(
    readonly backend: Backend,
    readonly data: DemoData,
    seed = 42,
    /** Train on only the first `limit` training digits (0: all). */
    limit = 0,
  ) {
    this.rng = new Random(seed);
    this.model = createMlp(backend, { inputs: 784, hidden: [this.width(0)], outputs: 10, rng: this.rng });
    this.adam = new Adam(this.model.parameters(), { lr: 2e-3 });
    const labels = limit > 0 ? data.train.labels.subarray(0, limit) : data.train.labels;
    this.split = stratifiedSplit(labels, Math.min(DEV, Math.floor(labels.length / 5)), seed);
    this.devImages = new Uint8Array(this.split.dev.length * 784);
    this.devLabels = new Uint8Array(this.split.dev.length);
    this.split.dev.forEach((k, i) => {
      this.devImages.set(data.train.images.subarray(k * 784, (k + 1) * 784), i * 784);
      this.devLabels[i] = data.train.labels[k];
    });
  }

  get hiddenWidth(): number {
    return this.model.widths[1];
  }

  pause(): void {
    this.pauseAsked = true;
  }

  resume(): void {
    this.pauseAsked = false;
    this.paused?.();
    this.paused = null;
  }

  /** Trains epochs until `epochs` are done; `pause()` holds it between batches until `resume()`. */
  async train(epochs: number, on: (event: TrainingEvent) => void, onPaused?: () => void): Promise<void> {
    const x = new SparseRows(this.backend);
    const loss = new SoftmaxCrossEntropy();
    // Summed where the logits are and read only when the page is told: a GPU is not waited for
    // after every batch.
    const sums = new LossSums(this.backend);
    const backend = this.backend;
    const batches = new Batches(this.data.train, this.split.train, {
      batchSize: BATCH,
      seed: 42,
      augment: {},
      // The warps on every kernel thread (the same bytes as data-mnist's own).
      augmentWith:
        backend instanceof CpuBackend && backend.canWarpImages ? (b) => backend.warpImages(b) : undefined,
    });
    const total = Math.ceil(this.split.train.length / BATCH);
    while (this.epoch < epochs) {
      const e = this.epoch + 1;
      const target = this.width(e - 1);
      if (target > this.model.widths[1])
        for (const g of grow(this.model, 0, target, { rng: this.rng }))
          this.adam.grow(g.param, g.map, g.oldShape);
      const lr = this.lr(e - 1);
      let [sum, seen, done] = [0, 0, 0];
      let started = performance.now();
      let epochSeconds = 0;
      let lastYield = started;
      for (const batch of batches.epoch(e)) {
        x.set(batch.images, batch.size, 784, 1 / 255, batch.labels);
        this.model.backward(loss.step(this.model.forward(x), x, sums));
        this.adam.step(lr);
        seen += batch.size;
        done++;
        const now = performance.now();
        if (now - lastYield > YIELD_MS || done === total) {
          sum += sums.read().loss;
          const seconds = epochSeconds + (now - started) / 1000;
          on({
            type: 'batch',
            epoch: e,
            batch: done,
            batches: total,
            loss: sum / seen,
            samplesPerSecond: seen / seconds,
          });
          await new Promise((resolve) => setTimeout(resolve, 0));
          if (this.pauseAsked) {
            epochSeconds += (performance.now() - started) / 1000;
            await new Promise<void>((resolve) => {
              this.paused = resolve;
              onPaused?.();
            });
            started = performance.now();
          }
          lastYield = performance.now();
        }
      }
      epochSeconds += (performance.now() - started) / 1000;
      this.seconds += epochSeconds;
      const dev = evaluate(this.model, this.devImages, this.devLabels, this.devLabels.length, 784).accuracy;
      const test = evaluate(
        this.model,
        this.data.test.images,
        this.data.test.labels,
        this.data.test.count,
        784,
      ).accuracy;
      this.epoch = e;
      on({
        type: 'epoch',
        epoch: e,
        trainLoss: sum / seen,
        devAccuracy: dev,
        testAccuracy: test,
        width: this.model.widths[1],
        samplesPerSecond: seen / epochSeconds,
        seconds: this.seconds,
      });
    }
    x.dispose();
    loss.dispose();
    sums.dispose();
  }

  /** Class probabilities of one 28×28 MNIST-style image. */
  predict(image: Uint8Array): Float32Array {
    return probabilities(this.model, image, 1, 784);
  }

  /** The model as a Sprout model file (`model.sprout`) and a TF.js Layers model. */
  modelFiles(): { sprout: Uint8Array; tfjsModelJson: string; tfjsWeights: Uint8Array } {
    const tfjs = toTfjs(denseStack(this.model, false), 'Sprout docs demo');
    return {
      sprout: saveModel(this.model, { input: { rows: 28, cols: 28 }, classes: 10 }),
      tfjsModelJson: tfjs.modelJson,
      tfjsWeights: tfjs.weights,
    };
  }
}
