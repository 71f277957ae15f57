import type { SparseRows } from './sparseRows.js';
import type { Tensor } from './tensor.js';

/** Hyper-parameters of one fused Adam step. */
export interface AdamStep {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Decoupled (AdamW) weight decay; 0 for plain Adam. */
  weightDecay: number;
}

/**
 * The contract every backend implements: storage for tensors (alloc, read, write, free) and the
 * ops. Ops in this package validate shapes and then call exactly one of these methods; outputs
 * are always caller-provided tensors of the same backend. Storage belongs to the backend, which
 * keeps it by tensor (in a typed map of its own): a tensor carries only its shape.
 */
export interface Backend {
  readonly name: 'cpu' | 'gpu';
  /** One line: what runs (e.g. "cpu (WebAssembly SIMD)"). */
  readonly description: string;
  /** Makes storage for the new tensor `t` (its shape is set), holding zeros. */
  alloc(t: Tensor): void;
  /** Releases `t`'s storage; `t` must not be used afterwards. */
  free(t: Tensor): void;
  write(t: Tensor, data: ArrayLike<number>): void;
  read(t: Tensor): Float32Array;
  /**
   * A live view of `t`'s values where they are in host memory (no copy), valid until the next op
   * or allocation; absent where they are not (a GPU). `Tensor.peek` uses it, `read` otherwise.
   */
  view?(t: Tensor): Float32Array;
  /** out (+)= op(a)·op(b). */
  matmul(a: Tensor, b: Tensor, out: Tensor, transA: boolean, transB: boolean, accumulate: boolean): void;
  /** out = x·w for sparse rows x. */
  sparseMatmul(x: SparseRows, w: Tensor, out: Tensor): void;
  /** out (+)= xᵀ·d for sparse rows x. */
  sparseTransposeMatmul(x: SparseRows, d: Tensor, out: Tensor, accumulate: boolean): void;
  /** out = x + bias (row broadcast), then ReLU if `relu`. */
  addBias(x: Tensor, bias: Tensor, out: Tensor, relu: boolean): void;
  relu(x: Tensor, out: Tensor): void;
  reluBackward(dy: Tensor, y: Tensor, out: Tensor): void;
  /** out = alpha·a + beta·b (covers add, sub, axpy, scale with b = a). */
  linear(alpha: number, a: Tensor, beta: number, b: Tensor, out: Tensor): void;
  fill(t: Tensor, value: number): void;
  softmax(x: Tensor, out: Tensor): void;
  /** Mean cross-entropy of softmax(logits) against labels; writes d(loss)/d(logits)·gradScale into grad. */
  softmaxCrossEntropy(
    logits: Tensor,
    labels: ArrayLike<number>,
    grad: Tensor | null,
    gradScale: number,
  ): number;
  /** out[j] (+)= Σ_i x[i,j]. */
  columnSums(x: Tensor, out: Tensor, accumulate: boolean): void;
  argmaxRows(x: Tensor): Int32Array;
  sumSquares(x: Tensor): number;
  /** In-place Adam on p with moments m, v and per-entry decay powers c1 = β1^t, c2 = β2^t. */
  adam(p: Tensor, g: Tensor, m: Tensor, v: Tensor, c1: Tensor, c2: Tensor, step: AdamStep): void;
  /** Upload a batch of byte images (scaled) into sparse-rows form owned by this backend; returns the non-zeros. */
  setSparseRows(x: SparseRows, bytes: Uint8Array, rows: number, cols: number, scale: number): number;
  freeSparseRows(x: SparseRows): void;
  /** Frees everything this backend holds. */
  dispose(): void;
}
