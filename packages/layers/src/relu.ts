import { relu, reluBackward, Tensor } from '@sprout/tensor';
import { Buffers } from './buffers.js';
import type { Layer, LayerInput } from './layer.js';
import type { Parameter } from './parameter.js';

/**
 * max(0, x) as its own layer. In a {@link Sequential}, a ReLU right after a Dense is fused into
 * the Dense's bias add and costs nothing extra.
 */
export class ReLU implements Layer {
  readonly kind = 'relu';
  private output: Tensor | null = null;
  private buffers: Buffers | null = null;

  forward(x: LayerInput): Tensor {
    if (!(x instanceof Tensor)) throw new Error('ReLU needs a dense input (a Tensor, not SparseRows)');
    this.buffers ??= new Buffers(x.backend);
    const out = this.buffers.get('out', x.rows, x.cols);
    relu(x, out);
    this.output = out;
    return out;
  }

  backward(dy: Tensor): Tensor {
    if (!this.output || !this.buffers) throw new Error('ReLU.backward called before forward');
    return reluBackward(dy, this.output, this.buffers.get('dx', dy.rows, dy.cols));
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
