import {
  addBias,
  type Backend,
  columnSums,
  type Initializer,
  initTensor,
  matmul,
  type Random,
  reluBackward,
  SparseRows,
  sparseMatmul,
  sparseTransposeMatmul,
  type Tensor,
  zeros,
} from '@sprout/tensor';
import { Buffers } from './buffers.js';
import type { Layer, LayerInput } from './layer.js';
import { Parameter } from './parameter.js';

/** Options of {@link Dense}. */
export interface DenseOptions {
  /** Weight initialisation (default He, suited to ReLU). */
  init?: Initializer;
  /** Apply ReLU to the output, fused with the bias add (Sequential sets this for Dense→ReLU). */
  relu?: boolean;
  /** Parameter name prefix (default "dense"). */
  name?: string;
}

/**
 * A fully connected layer y = x·W + b (W is inFeatures×outFeatures), optionally fused with ReLU.
 * Sparse-rows inputs use the sparse kernels for both x·W and the weight gradient xᵀ·dy.
 *
 * @example
 * ```ts
 * const layer = new Dense(backend, 784, 128, new Random(1), { relu: true, name: 'hidden' });
 * const h = layer.forward(x);
 * ```
 */
export class Dense implements Layer {
  readonly kind = 'dense';
  readonly weight: Parameter;
  readonly bias: Parameter;
  relu: boolean;
  private input: LayerInput | null = null;
  private output: Tensor | null = null;
  private buffers: Buffers;

  constructor(
    readonly backend: Backend,
    public inFeatures: number,
    public outFeatures: number,
    rng: Random,
    readonly options: DenseOptions = {},
  ) {
    const name = options.name ?? 'dense';
    this.relu = options.relu ?? false;
    this.weight = new Parameter(
      `${name}.weight`,
      initTensor(backend, [inFeatures, outFeatures], options.init ?? { kind: 'he' }, rng),
    );
    this.bias = new Parameter(`${name}.bias`, zeros(backend, [outFeatures]));
    this.buffers = new Buffers(backend);
  }

  forward(x: LayerInput): Tensor {
    const rows = x.rows;
    const pre = this.buffers.get('pre', rows, this.outFeatures);
    const out = this.buffers.get('out', rows, this.outFeatures);
    if (x instanceof SparseRows) sparseMatmul(x, this.weight.value, pre);
    else matmul(x, this.weight.value, { out: pre });
    addBias(pre, this.bias.value, { out, relu: this.relu });
    this.input = x;
    this.output = out;
    return out;
  }

  backward(
    dy: Tensor,
    { accumulate, needInputGrad }: { accumulate: boolean; needInputGrad: boolean },
  ): Tensor | null {
    const x = this.input;
    if (!x || !this.output) throw new Error('Dense.backward called before forward');
    let d = dy;
    if (this.relu) {
      d = this.buffers.get('dpre', dy.rows, dy.cols);
      reluBackward(dy, this.output, d);
    }
    if (x instanceof SparseRows) sparseTransposeMatmul(x, d, this.weight.grad, accumulate);
    else matmul(x, d, { transA: true, out: this.weight.grad, accumulate });
    columnSums(d, { out: this.bias.grad, accumulate });
    if (!needInputGrad || x instanceof SparseRows) return null;
    const dx = this.buffers.get('dx', d.rows, this.inFeatures);
    return matmul(d, this.weight.value, { transB: true, out: dx });
  }

  parameters(): Parameter[] {
    return [this.weight, this.bias];
  }

  config(): Record<string, unknown> {
    return {
      kind: this.kind,
      inFeatures: this.inFeatures,
      outFeatures: this.outFeatures,
      relu: this.relu,
      name: this.options.name ?? 'dense',
    };
  }

  /** Drops cached activations (their shapes change after growth). */
  resetBuffers(): void {
    this.buffers.dispose();
    this.input = null;
    this.output = null;
  }

  dispose(): void {
    this.resetBuffers();
    this.weight.dispose();
    this.bias.dispose();
  }
}
