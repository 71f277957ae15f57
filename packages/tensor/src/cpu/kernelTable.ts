// The cpu backend's kernels, each declared once. From a declaration come: the typed signature
// its implementations (TypeScript in typescriptKernels.ts, and WebAssembly in assembly/*.ts unless
// it `runs: 'typescript'`) must have, the WebAssembly binding (word offsets become byte offsets
// here and nowhere else), the split of a call between the caller and the worker thread, and the
// worker's dispatch (by the kernel's index among the WebAssembly kernels). Adding a kernel: write
// it in typescriptKernels.ts (and assembly/), add its entry here, and, for a WebAssembly kernel,
// its case in kernelTable.test.ts (the compiler asks for each).

/**
 * How an argument is passed: `words` is an offset into the heap in 4-byte words (the binding
 * converts it to a byte offset for WebAssembly), `bytes` one in bytes (for byte images whose size
 * need not be a multiple of 4); `int` and `float` are numbers; `flag` a boolean
 * (0 or 1 for WebAssembly). TypeScript-only kernels may also take JavaScript arrays: `labels`
 * (class indices to read) and `indices` (an Int32Array to write).
 */
export type ArgKind = 'words' | 'bytes' | 'int' | 'float' | 'flag' | 'labels' | 'indices';

/**
 * How a call splits across N threads: units of work (rows, columns, entries) `over` one argument,
 * cut into contiguous pieces; the caller runs the first, one worker each of the others. Every cut
 * falls on a multiple of `align` units (SIMD steps, row blocks), so every output element is
 * computed by one thread with the same code in the same order as without threads: results are
 * bit-identical for any N.
 */
export interface SplitRule<Name extends string = string> {
  /** The argument that counts the units. */
  readonly over: Name;
  readonly align: number;
  /** Heap arguments that move with the units: words per unit, a number or another argument. */
  readonly advance: Partial<Record<Name, number | Name>>;
  /** Work in a call, comparable with `minWork` (flops, or entries). */
  readonly work: (args: Record<Name, number>) => number;
  /**
   * The work at which cutting a call in two pays for the hand-off (~20 µs); a call is cut into as
   * many pieces (up to the thread count) as give each piece at least half of this.
   */
  readonly minWork: number;
}

/** One kernel: its arguments (name and kind, in call order), what it returns, how it splits. */
export interface KernelDeclaration {
  readonly args: readonly (readonly [string, ArgKind])[];
  readonly returns?: 'int' | 'float';
  readonly split?: SplitRule;
  /**
   * `typescript`: no WebAssembly version (light ops where SIMD would not pay for its code); both
   * kinds of cpu backend run the TypeScript one. `wasm`: no TypeScript version (the caller has its
   * own, e.g. @sprout/data-mnist's augmentation, and uses it where the WebAssembly kernels are
   * missing).
   */
  readonly runs?: 'typescript' | 'wasm';
}

const MIN_SPLIT_FLOPS = 2_000_000;
const MIN_SPLIT_ENTRIES = 65_536;
/** For one add or compare per entry: a step's 128×512 stays whole, evaluation's 1000×512 is cut. */
const MIN_SPLIT_LIGHT_ENTRIES = 262_144;

export const CPU_KERNELS = {
  /** c (+)= a·b for an m×k a read with row/column strides (so aᵀ needs no copy) and a k×n b. */
  gemm: {
    args: [
      ['m', 'int'],
      ['n', 'int'],
      ['k', 'int'],
      ['a', 'words'],
      ['ars', 'int'],
      ['acs', 'int'],
      ['b', 'words'],
      ['c', 'words'],
      ['accumulate', 'flag'],
    ],
    split: {
      over: 'm',
      align: 4,
      advance: { a: 'ars', c: 'n' },
      work: ({ m, n, k }) => 2 * m * n * k,
      minWork: MIN_SPLIT_FLOPS,
    },
  },
  /** dst = srcᵀ for a rows×cols src. */
  transpose: {
    args: [
      ['src', 'words'],
      ['rows', 'int'],
      ['cols', 'int'],
      ['dst', 'words'],
    ],
  },
  /**
   * out (+)= x·d for compressed sparse rows x (rowPtr, idx, val; nnz non-zeros in all, which only
   * the split rule reads), over n columns of d and out, whose rows are `ld` words apart.
   */
  spmm: {
    args: [
      ['rows', 'int'],
      ['n', 'int'],
      ['ld', 'int'],
      ['nnz', 'int'],
      ['rowPtr', 'words'],
      ['idx', 'words'],
      ['val', 'words'],
      ['d', 'words'],
      ['out', 'words'],
      ['accumulate', 'flag'],
    ],
    // By columns: each thread reads only its columns of the dense operand (in a training step, the
    // first layer's weight or the hidden gradient) instead of all of it, and writes only its
    // columns of out. Measured in the tensor bench, 2 threads against 1: X·W1 1.6× by columns,
    // 1.2× by rows. (Adam, elementwise, splits its flat entries: by columns it was slower than on
    // one thread, two threads interleaving 1 KB pieces of each row.)
    split: {
      over: 'n',
      align: 8,
      advance: { d: 1, out: 1 },
      work: ({ nnz, n }) => 2 * nnz * n,
      minWork: MIN_SPLIT_FLOPS,
    },
  },
  /** out = x + bias (broadcast over rows), then ReLU when `relu`. */
  biasRelu: {
    args: [
      ['rows', 'int'],
      ['cols', 'int'],
      ['x', 'words'],
      ['bias', 'words'],
      ['out', 'words'],
      ['relu', 'flag'],
    ],
    // By rows: a light pass over memory, worth cutting only for evaluation's big batches.
    split: {
      over: 'rows',
      align: 1,
      advance: { x: 'cols', out: 'cols' },
      work: ({ rows, cols }) => rows * cols,
      minWork: MIN_SPLIT_LIGHT_ENTRIES,
    },
  },
  /** out = y > 0 ? dy : 0. */
  reluBackward: {
    args: [
      ['size', 'int'],
      ['dy', 'words'],
      ['y', 'words'],
      ['out', 'words'],
    ],
    split: {
      over: 'size',
      align: 4,
      advance: { dy: 1, y: 1, out: 1 },
      work: ({ size }) => size,
      minWork: MIN_SPLIT_LIGHT_ENTRIES,
    },
  },
  /** The non-zero bytes among `n` bytes starting at word offset `bytes`. */
  countNonZeros: {
    args: [
      ['bytes', 'words'],
      ['n', 'int'],
    ],
    returns: 'int',
  },
  /** Compressed sparse rows of rows×cols bytes (values byte·scale); returns the non-zeros. */
  sparseRowsFromBytes: {
    args: [
      ['rows', 'int'],
      ['cols', 'int'],
      ['bytes', 'words'],
      ['scale', 'float'],
      ['rowPtr', 'words'],
      ['idx', 'words'],
      ['val', 'words'],
    ],
    returns: 'int',
  },
  /** Compressed sparse columns of a compressed-rows matrix; `cursor` is scratch of `cols` words. */
  cscFromCsr: {
    args: [
      ['rows', 'int'],
      ['cols', 'int'],
      ['rowPtr', 'words'],
      ['idx', 'words'],
      ['val', 'words'],
      ['colPtr', 'words'],
      ['colIdx', 'words'],
      ['colVal', 'words'],
      ['cursor', 'words'],
    ],
  },
  /**
   * Augmentation warps of `count` byte images (assembly/warpImages.ts): image i from src + i·pixels
   * to out + i·pixels (byte offsets), its drawn transform at params + i·stride words, its ink box
   * at boxes + 4·i words. Bit for bit @sprout/data-mnist's augmentImage.
   */
  warpImages: {
    args: [
      ['count', 'int'],
      ['rows', 'int'],
      ['cols', 'int'],
      ['pixels', 'int'],
      ['src', 'bytes'],
      ['out', 'bytes'],
      ['params', 'words'],
      ['stride', 'int'],
      ['boxes', 'words'],
    ],
    runs: 'wasm',
    // By images: each is warped whole by one thread. Measured on one thread: ~3.4 µs an affine
    // 28×28 image, ~21 µs an elastic one, so a pixel counts as 200 flops of a product (at ~40
    // GFLOP/s, 4 µs an image) and a batch of 128 is cut up to 20 ways.
    split: {
      over: 'count',
      align: 1,
      advance: { src: 'pixels', out: 'pixels', params: 'stride', boxes: 4 },
      work: ({ count, pixels }) => count * pixels * 200,
      minWork: MIN_SPLIT_FLOPS,
    },
  },
  /** Fused Adam(W) with per-entry bias correction (c1, c2 hold β1^t, β2^t per entry), in place. */
  adam: {
    args: [
      ['size', 'int'],
      ['p', 'words'],
      ['g', 'words'],
      ['m', 'words'],
      ['v', 'words'],
      ['c1', 'words'],
      ['c2', 'words'],
      ['lr', 'float'],
      ['beta1', 'float'],
      ['beta2', 'float'],
      ['eps', 'float'],
      ['weightDecay', 'float'],
    ],
    split: {
      over: 'size',
      align: 4,
      advance: { p: 1, g: 1, m: 1, v: 1, c1: 1, c2: 1 },
      work: ({ size }) => size,
      minWork: MIN_SPLIT_ENTRIES,
    },
  },
  /** out = max(x, 0). */
  relu: {
    args: [
      ['size', 'int'],
      ['x', 'words'],
      ['out', 'words'],
    ],
    runs: 'typescript',
  },
  /** out = alpha·a + beta·b (add, sub, scale and axpy). */
  linear: {
    args: [
      ['size', 'int'],
      ['alpha', 'float'],
      ['a', 'words'],
      ['beta', 'float'],
      ['b', 'words'],
      ['out', 'words'],
    ],
    runs: 'typescript',
  },
  /** Every word of [at, at + size) = value. */
  fill: {
    args: [
      ['at', 'words'],
      ['size', 'int'],
      ['value', 'float'],
    ],
    runs: 'typescript',
  },
  /** Row-wise softmax, probabilities below PROBABILITY_FLUSH written as 0. */
  softmax: {
    args: [
      ['rows', 'int'],
      ['cols', 'int'],
      ['x', 'words'],
      ['out', 'words'],
    ],
    runs: 'typescript',
  },
  /**
   * Mean cross-entropy of softmax(logits) against labels; with `withGrad`, writes
   * (softmax − one-hot)·gradScale into grad.
   */
  softmaxCrossEntropy: {
    args: [
      ['rows', 'int'],
      ['cols', 'int'],
      ['logits', 'words'],
      ['labels', 'labels'],
      ['withGrad', 'flag'],
      ['grad', 'words'],
      ['gradScale', 'float'],
    ],
    returns: 'float',
    runs: 'typescript',
  },
  /** out[j] (+)= Σ_i x[i, j]. */
  columnSums: {
    args: [
      ['rows', 'int'],
      ['cols', 'int'],
      ['x', 'words'],
      ['out', 'words'],
      ['accumulate', 'flag'],
    ],
    runs: 'typescript',
  },
  /** out[i] = the column of row i's largest value (the first on ties). */
  argmaxRows: {
    args: [
      ['rows', 'int'],
      ['cols', 'int'],
      ['x', 'words'],
      ['out', 'indices'],
    ],
    runs: 'typescript',
  },
  /** Σ x². */
  sumSquares: {
    args: [
      ['size', 'int'],
      ['x', 'words'],
    ],
    returns: 'float',
    runs: 'typescript',
  },
} as const satisfies Record<string, KernelDeclaration>;

/** A kernel's name. */
export type KernelName = keyof typeof CPU_KERNELS;

/** The kernels with a WebAssembly version. */
export type WasmKernelName = {
  [N in KernelName]: (typeof CPU_KERNELS)[N] extends { runs: 'typescript' } ? never : N;
}[KernelName];

/** The kernels with only a WebAssembly version. */
export type WasmOnlyKernelName = {
  [N in KernelName]: (typeof CPU_KERNELS)[N] extends { runs: 'wasm' } ? N : never;
}[KernelName];

/** The WebAssembly kernels in table order: a kernel's index is its id in the worker protocol. */
export const WASM_KERNEL_NAMES = (Object.keys(CPU_KERNELS) as KernelName[]).filter(
  (name): name is WasmKernelName => (CPU_KERNELS[name] as KernelDeclaration).runs !== 'typescript',
);

type ArgValue<K extends ArgKind> = K extends 'flag'
  ? boolean
  : K extends 'labels'
    ? ArrayLike<number>
    : K extends 'indices'
      ? Int32Array
      : number;
type ArgValues<A extends readonly (readonly [string, ArgKind])[]> = {
  -readonly [I in keyof A]: A[I] extends readonly [string, infer K extends ArgKind] ? ArgValue<K> : never;
};
type KernelFunction<D extends KernelDeclaration> = (
  ...args: ArgValues<D['args']>
) => D extends { returns: 'int' | 'float' } ? number : void;

/** The kernels as functions, typed from their declarations (heap offsets in words). */
export type AllKernelFunctions = {
  [N in KernelName]: KernelFunction<(typeof CPU_KERNELS)[N]>;
};

/** The kernels every cpu backend has (all but the WebAssembly-only ones). */
export type CpuKernelFunctions = Omit<AllKernelFunctions, WasmOnlyKernelName>;

/** The WebAssembly kernels as functions. */
export type WasmKernelFunctions = Pick<AllKernelFunctions, WasmKernelName>;

/** One call's arguments as WebAssembly takes them: byte offsets, flags as 0/1. */
export function toWasmArgs(declaration: KernelDeclaration, args: readonly (number | boolean)[]): number[] {
  const out = new Array<number>(args.length);
  for (let i = 0; i < args.length; i++) {
    const value = args[i];
    const kind = declaration.args[i][1];
    out[i] = kind === 'words' ? (value as number) * 4 : kind === 'flag' ? (value ? 1 : 0) : (value as number);
  }
  return out;
}

/**
 * A call cut into at most `parts` pieces under its split rule, or null when it is too small to
 * split. Every piece but the last starts and ends on a multiple of `align` units, so each unit is
 * computed by the same code in the same order whatever the number of pieces: results do not depend
 * on the thread count. A call is cut into as many pieces as give each at least `minWork / 2`.
 */
export function splitCall(
  declaration: KernelDeclaration & { split: SplitRule },
  args: readonly (number | boolean)[],
  parts = 2,
): (number | boolean)[][] | null {
  const rule = declaration.split;
  const named: Record<string, number> = {};
  declaration.args.forEach(([name], i) => {
    named[name] = Number(args[i]);
  });
  const units = named[rule.over];
  const blocks = Math.floor(units / rule.align);
  const count = Math.min(parts, blocks, Math.floor((2 * rule.work(named)) / rule.minWork));
  // Written to refuse NaN work too.
  if (!(count >= 2)) return null;
  const pieces: (number | boolean)[][] = [];
  for (let p = 0; p < count; p++) {
    const start = Math.floor((p * blocks) / count) * rule.align;
    const end = p === count - 1 ? units : Math.floor(((p + 1) * blocks) / count) * rule.align;
    const piece = args.slice();
    declaration.args.forEach(([name], i) => {
      if (name === rule.over) {
        piece[i] = end - start;
        return;
      }
      const per = (rule.advance as Record<string, number | string | undefined>)[name];
      if (per !== undefined) piece[i] = named[name] + start * (typeof per === 'number' ? per : named[per]);
    });
    pieces.push(piece);
  }
  return pieces;
}
