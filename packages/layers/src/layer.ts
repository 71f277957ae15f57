import type { SparseRows, Tensor } from '@sprout/tensor';
import type { Parameter } from './parameter.js';

/** An input batch: dense rows, or sparse rows for mostly-zero inputs such as MNIST pixels. */
export type LayerInput = Tensor | SparseRows;

/** A layer: forward caches what backward needs; backward writes parameter gradients. */
export interface Layer {
  readonly kind: string;
  forward(x: LayerInput): Tensor;
  /**
   * Takes d(loss)/d(output), adds parameter gradients (`accumulate`) or overwrites them, and
   * returns d(loss)/d(input) — or null where nobody needs it (the first layer).
   */
  backward(dy: Tensor, options: { accumulate: boolean; needInputGrad: boolean }): Tensor | null;
  parameters(): Parameter[];
  /** JSON description for save/load. */
  config(): Record<string, unknown>;
  dispose(): void;
}
