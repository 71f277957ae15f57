import { Tensor } from '@sprout/tensor';
import { Buffers } from './buffers.js';
import type { Layer, LayerInput } from './layer.js';
import type { Parameter } from './parameter.js';

/**
 * An activation applied value by value, computed on the host (read, map, write back): exact on
 * every backend, meant for small tabular models and own loops. ReLU, the trainer's activation,
 * runs fused in the backend's kernels instead.
 */
abstract class HostActivation implements Layer {
  abstract readonly kind: string;
  private output: Float32Array | null = null;
  private buffers: Buffers | null = null;

  /** f(x) of one value. */
  protected abstract value(x: number): number;
  /** f′ at a point whose output is y. */
  protected abstract slope(y: number): number;

  forward(x: LayerInput): Tensor {
    if (!(x instanceof Tensor))
      throw new Error(`${this.kind} needs a dense input (a Tensor, not SparseRows)`);
    this.buffers ??= new Buffers(x.backend);
    const y = x.toArray().map((v) => this.value(v));
    this.output = y;
    return this.buffers.get('out', x.rows, x.cols).set(y);
  }

  backward(dy: Tensor): Tensor {
    const y = this.output;
    if (!y || !this.buffers) throw new Error(`${this.kind}.backward called before forward`);
    const d = dy.toArray().map((g, i) => g * this.slope(y[i]));
    return this.buffers.get('dx', dy.rows, dy.cols).set(d);
  }

  parameters(): Parameter[] {
    return [];
  }

  config(): Record<string, unknown> {
    return { kind: this.kind };
  }

  dispose(): void {
    this.buffers?.dispose();
  }
}

/**
 * The logistic function 1 / (1 + e^−x), as a layer.
 *
 * @example
 * ```ts
 * const model = new Sequential([new Dense(backend, 4, 8, rng), new Sigmoid(), new Dense(backend, 8, 1, rng)]);
 * ```
 */
export class Sigmoid extends HostActivation {
  readonly kind = 'sigmoid';
  protected value(x: number): number {
    return 1 / (1 + Math.exp(-x));
  }
  protected slope(y: number): number {
    return y * (1 - y);
  }
}

/**
 * The hyperbolic tangent, as a layer.
 *
 * @example
 * ```ts
 * const model = new Sequential([new Dense(backend, 4, 8, rng), new Tanh(), new Dense(backend, 8, 1, rng)]);
 * ```
 */
export class Tanh extends HostActivation {
  readonly kind = 'tanh';
  protected value(x: number): number {
    return Math.tanh(x);
  }
  protected slope(y: number): number {
    return 1 - y * y;
  }
}
