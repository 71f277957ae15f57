import type { AdamStep, Backend, BatchLabels } from '../backend.js';
import type { LossSums, LossTotals } from '../lossSums.js';
import { hostLabels, type SparseRows } from '../sparseRows.js';
import type { Tensor } from '../tensor.js';
import { Heap } from './heap.js';
import { browserThreadsUnavailable, type CpuKernels, loadWasmKernels, typescriptKernels } from './kernels.js';
import type { KernelThreads } from './kernelThreads.js';
import { envThreads, resolveThreadCount, type ThreadsOption } from './threadCount.js';

interface Block {
  off: number;
  size: number;
}

interface SparseBlocks {
  cols: number;
  rows: number;
  /** Non-zeros of the current batch. */
  nnz: number;
  /** The CSC (transpose) is built on first use: evaluation never needs it. */
  cscReady: boolean;
  /** The batch's bytes, copied into the heap for the kernels. */
  bytes: Block;
  cursor: Block;
  rowPtr: Block;
  idx: Block;
  val: Block;
  colPtr: Block;
  colIdx: Block;
  colVal: Block;
}

/**
 * A batch of byte images to warp, each by its own drawn transform (the shape of
 * `@sprout/data-mnist`'s AugmentBatch, which describes the records).
 */
export interface ImageWarpBatch {
  count: number;
  rows: number;
  cols: number;
  /** count × rows·cols source bytes. */
  src: Uint8Array;
  /** count × rows·cols bytes, written. */
  out: Uint8Array;
  /** count × stride numbers: each image's transform record. */
  params: Float64Array;
  stride: number;
  /** count × 4: each image's ink box (top, bottom, left, right). */
  boxes: Int32Array;
}

/** Options for {@link createCpuBackend}. */
export interface CpuBackendOptions {
  /** Force the plain TypeScript kernels even where WebAssembly SIMD loads. */
  kernels?: 'auto' | 'wasm-simd' | 'typescript';
  /**
   * Kernel threads, the caller's included: `auto` (default) takes every core this process may use
   * (cgroup quota respected; `navigator.hardwareConcurrency` in a browser), a number that many (up
   * to 4 per core; more is clamped, and {@link CpuBackend.threadNote} says so), `true` is `auto`
   * and `false` is 1. The default reads env `SPROUT_THREADS` (`auto`, a count, `0` for 1) first.
   * Big products, sparse products and Adam updates are cut into one piece per thread at fixed
   * block boundaries: results are bit-identical for any count.
   */
  threads?: ThreadsOption | boolean;
  /**
   * Called once if the kernel threads go off during a run (a worker died, or left a call
   * unclaimed for 30 s): the run continues on one thread. Default: a console warning.
   */
  onThreadsOff?: (reason: string) => void;
  /**
   * Use the fused multiply-add (relaxed SIMD) kernels where the runtime validates them. Default:
   * on, unless env SPROUT_FMA=0. FMA and SIMD128 kernels round differently in the last bits.
   */
  fma?: boolean;
}

function defaultFma(): boolean {
  return typeof process === 'undefined' || process.env?.SPROUT_FMA !== '0';
}

function defaultThreads(): ThreadsOption | boolean {
  // A browser: several threads wherever they can run (see browserThreadsUnavailable).
  if (typeof process === 'undefined' || !process.versions?.node) return browserThreadsUnavailable() === null;
  return envThreads() ?? 'auto';
}

/**
 * The CPU backend: WebAssembly SIMD kernels (built from `assembly/kernels.ts`) over one linear
 * memory, with a pure TypeScript fallback. Ops allocate nothing when given outputs.
 */
export class CpuBackend implements Backend {
  readonly name = 'cpu' as const;
  readonly heap: Heap;
  readonly kernels: CpuKernels;
  /** Why the SIMD kernels are not used, when they are not. */
  readonly fallbackReason: string | null = null;
  private scratch: Block | null = null;
  private warpBlock: Block | null = null;
  /** Each live tensor's heap block. */
  private readonly tensors = new WeakMap<Tensor, Block>();
  /** Each sparse batch's heap blocks. */
  private readonly batches = new WeakMap<SparseRows, SparseBlocks>();
  /** Each LossSums' totals since its last read (host numbers: reading is free here). */
  private readonly lossSums = new WeakMap<LossSums, LossTotals>();
  /** argmax scratch of softmaxCrossEntropySums, grown to the largest batch. */
  private predicted = new Int32Array(0);
  private threads: KernelThreads | null = null;
  /** In a browser, why the kernels run on one thread (shown in the description). */
  private readonly browserReason: string | null =
    typeof process === 'undefined' || !process.versions?.node ? browserThreadsUnavailable() : null;

  /** Said when the thread count asked for was changed (clamped), else null. */
  readonly threadNote: string | null = null;

  constructor(options: CpuBackendOptions = {}) {
    const want = options.kernels ?? 'auto';
    let loaded: ReturnType<typeof loadWasmKernels> | null = null;
    if (want !== 'typescript') {
      // A bad count throws here, before anything is built.
      const count = resolveThreadCount(options.threads ?? defaultThreads());
      this.threadNote = count.note;
      try {
        loaded = loadWasmKernels({
          threads: count.threads,
          spin: count.threads <= count.cores,
          fma: options.fma ?? defaultFma(),
          onThreadsOff: options.onThreadsOff ?? ((reason) => console.warn(`sprout: cpu backend: ${reason}`)),
        });
        this.threads = loaded.threads;
      } catch (error) {
        if (want === 'wasm-simd') throw error;
        this.fallbackReason = `WebAssembly SIMD unavailable (${(error as Error).message})`;
      }
    }
    this.heap = new Heap(loaded?.memory ?? null, 1024);
    // The TypeScript kernels run where WebAssembly has no version of a kernel, or none at all.
    this.kernels = loaded
      ? {
          kind: 'wasm-simd',
          fma: loaded.fma,
          threads: loaded.threads?.threads ?? 1,
          ...typescriptKernels(this.heap),
          ...loaded.kernels,
        }
      : { kind: 'typescript', fma: false, threads: 1, ...typescriptKernels(this.heap) };
  }

  /** @internal The kernel threads (tests reach in to stall or end a worker). */
  get kernelThreads(): KernelThreads | null {
    return this.threads;
  }

  /** Kernel pieces handed to worker threads so far (0 without threads). */
  /** Bytes of the backend's memory in live blocks: tensors, batches and scratch (exact). */
  get heapBytesInUse(): number {
    return this.heap.usedWords * 4;
  }

  get threadHandOffs(): number {
    return this.threads?.handOffs ?? 0;
  }

  /** Threads the big kernels run on now: 1 once threads went off (see {@link CpuBackendOptions.onThreadsOff}). */
  get activeThreads(): number {
    return this.threads && !this.threads.broken ? this.threads.threads : 1;
  }

  get description(): string {
    const parts = [
      this.kernels.kind === 'typescript'
        ? 'TypeScript kernels'
        : `WebAssembly ${this.kernels.fma ? 'relaxed SIMD kernels, FMA' : 'SIMD kernels'}`,
    ];
    const off = this.threads?.brokenReason;
    if (off && off !== 'disposed') parts.push(`1 thread: ${off}`);
    else if (this.kernels.threads > 1) parts.push(`${this.kernels.threads} threads`);
    else if (this.kernels.kind !== 'typescript' && this.browserReason)
      parts.push(`1 thread: ${this.browserReason}`);
    else if (this.kernels.kind !== 'typescript') parts.push('1 thread');
    if (this.threadNote) parts.push(this.threadNote);
    return `cpu (${parts.join(', ')})`;
  }

  /** Heap words for a new tensor, zeroed: a new tensor never shows a freed one's values. */
  alloc(t: Tensor): void {
    const block = this.allocBlock(t.size);
    this.heap.f32.fill(0, block.off, block.off + block.size);
    this.tensors.set(t, block);
  }

  free(t: Tensor): void {
    const block = this.tensors.get(t);
    if (!block) return;
    this.freeBlock(block);
    this.tensors.delete(t);
  }

  private allocBlock(words: number): Block {
    return { off: this.heap.alloc(words), size: words };
  }

  private freeBlock(block: Block): void {
    this.heap.release(block.off, block.size);
  }

  private sparse(x: SparseRows): SparseBlocks {
    const s = this.batches.get(x);
    if (!s) throw new Error('SparseRows has no batch: call set() first');
    return s;
  }

  /** The heap word offset of a live tensor of this backend. */
  private off(t: Tensor): number {
    const block = this.tensors.get(t);
    if (!block) throw new Error('tensor is disposed or belongs to another backend');
    return block.off;
  }

  /** A live view of a tensor's memory (valid until the next allocation that grows the heap). */
  view(t: Tensor): Float32Array {
    const off = this.off(t);
    return this.heap.f32.subarray(off, off + t.size);
  }

  write(t: Tensor, data: ArrayLike<number>): void {
    this.heap.f32.set(data, this.off(t));
  }

  read(t: Tensor): Float32Array {
    return this.view(t).slice();
  }

  matmul(a: Tensor, b: Tensor, out: Tensor, transA: boolean, transB: boolean, accumulate: boolean): void {
    const m = out.rows;
    const n = out.cols;
    const k = transA ? a.rows : a.cols;
    let bOff = this.off(b);
    if (transB) {
      // Pack bᵀ (k×n) once so the microkernel streams contiguous rows of B.
      bOff = this.scratchWords(k * n);
      this.kernels.transpose(this.off(b), b.rows, b.cols, bOff);
    }
    const ars = transA ? 1 : a.cols;
    const acs = transA ? a.cols : 1;
    this.kernels.gemm(m, n, k, this.off(a), ars, acs, bOff, this.off(out), accumulate);
  }

  sparseMatmul(x: SparseRows, w: Tensor, out: Tensor): void {
    const s = this.sparse(x);
    this.kernels.spmm(
      x.rows,
      w.cols,
      w.cols,
      s.nnz,
      s.rowPtr.off,
      s.idx.off,
      s.val.off,
      this.off(w),
      this.off(out),
      false,
    );
  }

  sparseTransposeMatmul(x: SparseRows, d: Tensor, out: Tensor, accumulate: boolean): void {
    const s = this.sparse(x);
    if (!s.cscReady) this.buildCsc(s);
    this.kernels.spmm(
      x.cols,
      d.cols,
      d.cols,
      s.nnz,
      s.colPtr.off,
      s.colIdx.off,
      s.colVal.off,
      this.off(d),
      this.off(out),
      accumulate,
    );
  }

  addBias(x: Tensor, bias: Tensor, out: Tensor, relu: boolean): void {
    this.kernels.biasRelu(x.rows, x.cols, this.off(x), this.off(bias), this.off(out), relu);
  }

  relu(x: Tensor, out: Tensor): void {
    this.kernels.relu(x.size, this.off(x), this.off(out));
  }

  reluBackward(dy: Tensor, y: Tensor, out: Tensor): void {
    this.kernels.reluBackward(dy.size, this.off(dy), this.off(y), this.off(out));
  }

  linear(alpha: number, a: Tensor, beta: number, b: Tensor, out: Tensor): void {
    this.kernels.linear(out.size, alpha, this.off(a), beta, this.off(b), this.off(out));
  }

  fill(t: Tensor, value: number): void {
    this.kernels.fill(this.off(t), t.size, value);
  }

  softmax(x: Tensor, out: Tensor): void {
    this.kernels.softmax(x.rows, x.cols, this.off(x), this.off(out));
  }

  softmaxCrossEntropy(
    logits: Tensor,
    labels: ArrayLike<number>,
    grad: Tensor | null,
    gradScale: number,
  ): number {
    const { rows, cols } = logits;
    const at = grad ? this.off(grad) : 0;
    return this.kernels.softmaxCrossEntropy(
      rows,
      cols,
      this.off(logits),
      labels,
      grad !== null,
      at,
      gradScale,
    );
  }

  softmaxCrossEntropySums(
    logits: Tensor,
    labels: BatchLabels,
    grad: Tensor | null,
    gradScale: number,
    smoothing: number,
    sums: LossSums | null,
  ): void {
    const { rows, cols } = logits;
    const y = hostLabels(labels);
    const mean = this.softmaxCrossEntropy(logits, y, grad, gradScale);
    if (grad && smoothing > 0) {
      // The targets' smoothing moves each row's gradient by (gradScale/rows)·ε·(one-hot − 1/K);
      // added in float32, one rounding per entry.
      const g = this.view(grad);
      const step = gradScale * smoothing;
      const off = Math.fround(-step / cols);
      const on = Math.fround(off + step);
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < cols; j++)
          g[i * cols + j] = Math.fround(g[i * cols + j] + (j === y[i] ? on : off));
      }
    }
    if (!sums) return;
    if (this.predicted.length < rows) this.predicted = new Int32Array(rows);
    this.kernels.argmaxRows(rows, cols, this.off(logits), this.predicted);
    let correct = 0;
    for (let i = 0; i < rows; i++) if (this.predicted[i] === y[i]) correct++;
    const t = this.lossSums.get(sums) ?? { loss: 0, correct: 0, rows: 0 };
    t.loss += mean * rows;
    t.correct += correct;
    t.rows += rows;
    this.lossSums.set(sums, t);
  }

  readLossSums(sums: LossSums): LossTotals {
    const t = this.lossSums.get(sums) ?? { loss: 0, correct: 0, rows: 0 };
    this.lossSums.delete(sums);
    return t;
  }

  freeLossSums(sums: LossSums): void {
    this.lossSums.delete(sums);
  }

  columnSums(x: Tensor, out: Tensor, accumulate: boolean): void {
    this.kernels.columnSums(x.rows, x.cols, this.off(x), this.off(out), accumulate);
  }

  argmaxRows(x: Tensor): Int32Array {
    const out = new Int32Array(x.rows);
    this.kernels.argmaxRows(x.rows, x.cols, this.off(x), out);
    return out;
  }

  sumSquares(x: Tensor): number {
    return this.kernels.sumSquares(x.size, this.off(x));
  }

  /**
   * Whether {@link CpuBackend.warpImages} runs here (it needs the WebAssembly kernels): a caller
   * without it warps with its own code (data-mnist's, which gives the same bytes).
   */
  get canWarpImages(): boolean {
    return this.kernels.warpImages !== undefined;
  }

  /**
   * Warps a batch of byte images (data-mnist's augmentation, drawn by the caller) on every kernel
   * thread, image by image: the same bytes as `@sprout/data-mnist`'s augmentImage, for any thread
   * count. Pass it as `Batches`' `augmentWith`. Throws where {@link CpuBackend.canWarpImages} is false.
   */
  warpImages(batch: ImageWarpBatch): void {
    const warp = this.kernels.warpImages;
    if (!warp) throw new Error('warpImages needs the WebAssembly kernels');
    const { count, rows, cols, stride } = batch;
    const pixels = rows * cols;
    const bytes = count * pixels;
    if (
      batch.src.length < bytes ||
      batch.out.length < bytes ||
      batch.params.length < count * stride ||
      batch.boxes.length < count * 4
    )
      throw new RangeError(`warpImages: buffers too small for ${count} images of ${rows}×${cols}`);
    // One block: the images in, the images out, the records (float64: 8-byte aligned), the boxes.
    const imageWords = Math.ceil(bytes / 4);
    const words = 2 * imageWords + 2 * count * stride + 4 * count;
    this.warpBlock = this.reusedBlock(this.warpBlock, words);
    const at = this.warpBlock.off;
    const src = at * 4;
    const out = src + imageWords * 4;
    const params = at + 2 * imageWords;
    const boxes = params + 2 * count * stride;
    const memory = this.heap.buffer;
    new Uint8Array(memory, src, bytes).set(batch.src.subarray(0, bytes));
    new Float64Array(memory, params * 4, count * stride).set(batch.params.subarray(0, count * stride));
    this.heap.i32.set(batch.boxes.subarray(0, count * 4), boxes);
    warp(count, rows, cols, pixels, src, out, params, 2 * stride, boxes);
    batch.out.set(new Uint8Array(this.heap.buffer, out, bytes));
  }

  adam(p: Tensor, g: Tensor, m: Tensor, v: Tensor, c1: Tensor, c2: Tensor, s: AdamStep): void {
    this.kernels.adam(
      p.size,
      this.off(p),
      this.off(g),
      this.off(m),
      this.off(v),
      this.off(c1),
      this.off(c2),
      s.lr,
      s.beta1,
      s.beta2,
      s.eps,
      s.weightDecay,
    );
  }

  setSparseRows(x: SparseRows, bytes: Uint8Array, rows: number, cols: number, scale: number): number {
    const total = rows * cols;
    let s = this.batches.get(x);
    if (!s || s.bytes.size * 4 < total || s.cols !== cols) {
      if (s) this.freeSparseRows(x);
      s = {
        cols,
        rows,
        nnz: 0,
        cscReady: false,
        bytes: this.allocBlock(Math.ceil(total / 4)),
        ...this.sparseBlocks(64, rows, cols),
      };
      this.batches.set(x, s);
    }
    // The bytes go into the heap once; the kernels build the compressed form from there.
    new Uint8Array(this.heap.f32.buffer, s.bytes.off * 4, total).set(bytes.subarray(0, total));
    const nnz = this.kernels.countNonZeros(s.bytes.off, total);
    if (s.idx.size < nnz || s.rowPtr.size < rows + 1) {
      for (const b of [s.rowPtr, s.idx, s.val, s.colIdx, s.colVal]) this.freeBlock(b);
      Object.assign(
        s,
        this.sparseBlocks(Math.ceil(nnz * 1.25) + 64, Math.max(rows, s.rowPtr.size - 1), cols, s),
      );
    }
    this.kernels.sparseRowsFromBytes(rows, cols, s.bytes.off, scale, s.rowPtr.off, s.idx.off, s.val.off);
    s.rows = rows;
    s.nnz = nnz;
    s.cscReady = false;
    return nnz;
  }

  /** Blocks for `capacity` non-zeros of up to `rows` rows (colPtr and cursor kept from `keep`). */
  private sparseBlocks(capacity: number, rows: number, cols: number, keep?: SparseBlocks) {
    return {
      rowPtr: this.allocBlock(rows + 1),
      idx: this.allocBlock(capacity),
      val: this.allocBlock(capacity),
      colIdx: this.allocBlock(capacity),
      colVal: this.allocBlock(capacity),
      colPtr: keep?.colPtr ?? this.allocBlock(cols + 1),
      cursor: keep?.cursor ?? this.allocBlock(cols),
    };
  }

  /** CSC of the current batch (the transpose), so Xᵀ·dZ runs through the same kernel as X·W. */
  private buildCsc(s: SparseBlocks): void {
    const { rows, cols, rowPtr, idx, val, colPtr, colIdx, colVal, cursor } = s;
    this.kernels.cscFromCsr(
      rows,
      cols,
      rowPtr.off,
      idx.off,
      val.off,
      colPtr.off,
      colIdx.off,
      colVal.off,
      cursor.off,
    );
    s.cscReady = true;
  }

  freeSparseRows(x: SparseRows): void {
    const s = this.batches.get(x);
    if (!s) return;
    for (const b of [s.bytes, s.rowPtr, s.idx, s.val, s.colPtr, s.colIdx, s.colVal, s.cursor])
      this.freeBlock(b);
    this.batches.delete(x);
  }

  dispose(): void {
    if (this.scratch) this.freeBlock(this.scratch);
    this.scratch = null;
    if (this.warpBlock) this.freeBlock(this.warpBlock);
    this.warpBlock = null;
    this.threads?.dispose();
    this.threads = null;
  }

  private scratchWords(words: number): number {
    this.scratch = this.reusedBlock(this.scratch, words);
    return this.scratch.off;
  }

  /** `block` when it holds `words`, else a new block that does (the old one freed). */
  private reusedBlock(block: Block | null, words: number): Block {
    if (block && block.size >= words) return block;
    if (block) this.freeBlock(block);
    return this.allocBlock(words);
  }
}
