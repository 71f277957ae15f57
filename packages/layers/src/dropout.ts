import { Random, reluBackward, scale, Tensor } from '@sprout/tensor';
import { Buffers } from './buffers.js';
import type { Layer, LayerInput } from './layer.js';
import type { Parameter } from './parameter.js';

/**
 * Inverted dropout: while training, zeroes each activation with probability `rate` and scales
 * the rest by 1/(1 − rate), so evaluation (where it passes its input through unchanged) sees the
 * same expected activations. Training mode is off by default; {@link Sequential.setTraining}
 * turns it on for the training loop.
 *
 * Masks come from `rng`: one draw per batch seeds that batch's mask, so a run is deterministic and
 * a resumed run (with the rng state restored) draws the masks an uninterrupted one would.
 * Training-only: {@link saveModel} leaves it out of model files.
 *
 * @example
 * ```ts
 * const model = createMlp(backend, { inputs: 784, hidden: [512], outputs: 10, rng, dropout: 0.2 });
 * model.setTraining(true);  // masks on
 * model.setTraining(false); // identity (evaluate, predict)
 * ```
 */
export class Dropout implements Layer {
  readonly kind = 'dropout';
  /** Whether masks are applied (the training loop turns it on; evaluation runs with it off). */
  training = false;
  private buffers: Buffers | null = null;
  private mask: Tensor | null = null;
  private host = new Float32Array(0);

  constructor(
    readonly rate: number,
    private readonly rng: Random,
  ) {
    if (!(rate >= 0 && rate < 1)) throw new RangeError(`Dropout: rate must be in [0, 1), got ${rate}`);
  }

  forward(x: LayerInput): Tensor {
    if (!(x instanceof Tensor)) throw new Error('Dropout needs a dense input (a Tensor, not SparseRows)');
    if (!this.training || this.rate === 0) {
      this.mask = null;
      return x;
    }
    this.buffers ??= new Buffers(x.backend);
    const mask = this.buffers.get('mask', x.rows, x.cols);
    if (this.host.length !== x.size) this.host = new Float32Array(x.size);
    const draw = new Random(this.rng.nextUint32());
    // Keep with probability 1 − rate: compare 32-bit draws with a threshold (no float division).
    const threshold = Math.floor(this.rate * 4294967296);
    for (let i = 0; i < this.host.length; i++) this.host[i] = draw.nextUint32() >= threshold ? 1 : 0;
    mask.set(this.host);
    this.mask = mask;
    // out = x where kept, else 0 (reluBackward passes its first argument where the second is > 0).
    const out = reluBackward(x, mask, this.buffers.get('out', x.rows, x.cols));
    return scale(out, 1 / (1 - this.rate), out);
  }

  backward(dy: Tensor): Tensor {
    if (!this.mask || !this.buffers) return dy;
    const dx = reluBackward(dy, this.mask, this.buffers.get('dx', dy.rows, dy.cols));
    return scale(dx, 1 / (1 - this.rate), dx);
  }

  parameters(): Parameter[] {
    return [];
  }

  config(): Record<string, unknown> {
    return { kind: this.kind, rate: this.rate };
  }

  dispose(): void {
    this.buffers?.dispose();
    this.buffers = null;
    this.mask = null;
  }
}
