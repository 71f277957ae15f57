import type { LossSums, LossTotals } from './lossSums.js';
import type { SparseRows } from './sparseRows.js';
import type { Tensor } from './tensor.js';

/**
 * Class labels of a batch: an array, or the {@link SparseRows} batch that was given its labels
 * with its images (on a GPU they then travel in the same upload).
 */
export type BatchLabels = ArrayLike<number> | SparseRows;

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
  /**
   * The training step's loss head: writes d(mean loss)/d(logits)·gradScale into `grad` (unless
   * null), against targets (1 − smoothing)·one-hot + smoothing/classes, and adds every row's plain
   * cross-entropy and hit (argmax = label) into `sums` (unless null), where the logits are:
   * nothing is read back.
   */
  softmaxCrossEntropySums(
    logits: Tensor,
    labels: BatchLabels,
    grad: Tensor | null,
    gradScale: number,
    smoothing: number,
    sums: LossSums | null,
  ): void;
  /** `sums`' totals since the last read, then zero (a GPU reads back here, once). */
  readLossSums(sums: LossSums): LossTotals;
  freeLossSums(sums: LossSums): void;
  /** out[j] (+)= Σ_i x[i,j]. */
  columnSums(x: Tensor, out: Tensor, accumulate: boolean): void;
  argmaxRows(x: Tensor): Int32Array;
  sumSquares(x: Tensor): number;
  /** In-place Adam on p with moments m, v and per-entry decay powers c1 = β1^t, c2 = β2^t. */
  adam(p: Tensor, g: Tensor, m: Tensor, v: Tensor, c1: Tensor, c2: Tensor, step: AdamStep): void;
  /**
   * Upload a batch of byte images (scaled) into sparse-rows form owned by this backend, with the
   * batch's class labels if given (one upload for both on a GPU); returns the non-zeros.
   */
  setSparseRows(
    x: SparseRows,
    bytes: Uint8Array,
    rows: number,
    cols: number,
    scale: number,
    labels?: ArrayLike<number>,
  ): number;
  freeSparseRows(x: SparseRows): void;
  /** Frees everything this backend holds. */
  dispose(): void;
}
