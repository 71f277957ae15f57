import { argmaxRows, type Tensor } from '@sprout/tensor';
import { Dense } from './dense.js';
import { Dropout } from './dropout.js';
import type { Layer, LayerInput } from './layer.js';
import type { Parameter } from './parameter.js';
import { ReLU } from './relu.js';

/**
 * Layers applied in order. A ReLU right after a Dense is fused into it (one pass over the
 * activations). Backward walks back and skips the input gradient of the first layer.
 *
 * @example
 * ```ts
 * const model = new Sequential([new Dense(backend, 784, 128, rng), new ReLU(), new Dense(backend, 128, 10, rng, { init: { kind: 'glorot' } })]);
 * const logits = model.forward(x);
 * model.backward(loss.compute(logits, labels).grad);
 * ```
 */
export class Sequential {
  /** The layers that actually run (fused ReLUs removed). */
  private plan: Layer[];

  constructor(readonly layers: Layer[]) {
    this.plan = [];
    for (let i = 0; i < layers.length; i++) {
      const layer = layers[i];
      if (layer instanceof ReLU && layers[i - 1] instanceof Dense) {
        (layers[i - 1] as Dense).relu = true;
        continue;
      }
      this.plan.push(layer);
    }
  }

  /** The Dense layers, in order (growth and save/load address them by this index). */
  get denseLayers(): Dense[] {
    return this.layers.filter((l): l is Dense => l instanceof Dense);
  }

  forward(x: LayerInput): Tensor {
    let h: LayerInput = x;
    for (const layer of this.plan) h = layer.forward(h);
    return h as Tensor;
  }

  /** Backpropagates d(loss)/d(logits); with `accumulate`, adds to the existing gradients. */
  backward(dLogits: Tensor, options: { accumulate?: boolean } = {}): void {
    let d: Tensor | null = dLogits;
    for (let i = this.plan.length - 1; i >= 0 && d; i--) {
      d = this.plan[i].backward(d, { accumulate: options.accumulate ?? false, needInputGrad: i > 0 });
    }
  }

  /**
   * Training mode switches {@link Dropout} masks on; off (the default) every layer is
   * deterministic, as evaluation and prediction need.
   */
  setTraining(on: boolean): void {
    for (const l of this.layers) if (l instanceof Dropout) l.training = on;
  }

  /** Predicted class of each row. */
  predict(x: LayerInput): Int32Array {
    return argmaxRows(this.forward(x));
  }

  parameters(): Parameter[] {
    return this.layers.flatMap((l) => l.parameters());
  }

  zeroGrad(): void {
    for (const p of this.parameters()) p.zeroGrad();
  }

  /** Sizes of the layers, e.g. [784, 512, 10]. */
  get widths(): number[] {
    const dense = this.denseLayers;
    return [dense[0]?.inFeatures ?? 0, ...dense.map((d) => d.outFeatures)];
  }

  dispose(): void {
    for (const l of this.layers) l.dispose();
  }
}
